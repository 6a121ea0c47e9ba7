"""A bound on how often one message is written: at the descriptor limit asyncio logs every failed accept, with
its traceback, hundreds of thousands of lines in seconds."""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# A message is its logger, its level and its text before the arguments are put in.
_Message = tuple[str, int, str]
Later = Callable[[float, Callable[[], None]], None]


@dataclass
class _Window:
    started: float
    seen: int = 0


def _in_a_thread(delay: float, then: Callable[[], None]) -> None:
    timer = threading.Timer(delay, then)
    timer.daemon = True
    timer.start()


class RepeatsSuppressed(logging.Filter):
    """On `handler`: lets the first `limit` records of each message through in an interval, from the first of
    them, and counts the others; the count is written as one line when that interval ends."""

    def __init__(
        self,
        handler: logging.Handler,
        limit: int,
        interval_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        later: Later = _in_a_thread,
    ) -> None:
        super().__init__()
        self._handler = handler
        self._limit = limit
        self._interval = interval_seconds
        self._clock = clock
        self._later = later
        self._windows: dict[_Message, _Window] = {}
        self._summary_due = False
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "repeats_summary", False):
            return True
        message = (record.name, record.levelno, str(record.msg))
        with self._lock:
            now = self._clock()
            summaries = self._close_windows(now)
            window = self._windows.setdefault(message, _Window(now))
            window.seen += 1
            passes = window.seen <= self._limit
            if not passes:
                self._summary_in_time(now)
        self._write(summaries)
        return passes

    def _when_due(self) -> None:
        with self._lock:
            self._summary_due = False
            now = self._clock()
            summaries = self._close_windows(now)
            self._summary_in_time(now)
        self._write(summaries)

    def _summary_in_time(self, now: float) -> None:
        suppressing = [window.started for window in self._windows.values() if window.seen > self._limit]
        if suppressing and not self._summary_due:
            self._summary_due = True
            self._later(max(min(suppressing) + self._interval - now, 0.001), self._when_due)

    def _close_windows(self, now: float) -> list[logging.LogRecord]:
        over = [
            message for message, window in self._windows.items() if now - window.started >= self._interval
        ]
        return [
            _summary(message, suppressed, self._limit, self._interval)
            for message in over
            if (suppressed := self._windows.pop(message).seen - self._limit) > 0
        ]

    def _write(self, summaries: list[logging.LogRecord]) -> None:
        for summary in summaries:
            self._handler.handle(summary)


def _summary(message: _Message, suppressed: int, limit: int, interval: float) -> logging.LogRecord:
    name, level, text = message
    first_line = text.partition("\n")[0][:200]
    record = logging.LogRecord(
        name,
        level,
        __file__,
        0,
        "%d more like this were suppressed (at most %d are written in %g s): %s",
        (suppressed, limit, interval, first_line),
        None,
    )
    record.repeats_summary = True
    return record


def limit_repeats(limit: int, interval_seconds: float) -> None:
    """Put a `RepeatsSuppressed` on every handler configured so far."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = {handler for each in loggers if isinstance(each, logging.Logger) for handler in each.handlers}
    for handler in handlers:
        handler.addFilter(RepeatsSuppressed(handler, limit, interval_seconds))
