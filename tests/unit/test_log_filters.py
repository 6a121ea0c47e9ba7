"""The log's filters: repeats of one message are counted past a limit, and uvicorn's line on a response we
left unfinished on purpose is dropped, for that case only."""

import asyncio
import logging
from collections.abc import Callable

from ios_backup_api.entrypoints.http.stream_end import (
    DownloadEndedError,
    DownloadsEndQuietly,
    UvicornsLineOnIt,
)
from ios_backup_api.entrypoints.log_limits import RepeatsSuppressed


class _Written(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.due: list[tuple[float, Callable[[], None]]] = []

    def later(self, delay: float, then: Callable[[], None]) -> None:
        self.due.append((self.now + delay, then))

    def advance_to(self, when: float) -> None:
        self.now = when
        for at, then in [each for each in self.due if each[0] <= when]:
            self.due.remove((at, then))
            then()


def _limited(limit: int = 3) -> tuple[logging.Logger, _Written, _Clock]:
    written, clock = _Written(), _Clock()
    written.addFilter(RepeatsSuppressed(written, limit, 60, clock=lambda: clock.now, later=clock.later))
    logger = logging.getLogger(f"tests.repeats.{id(written)}")
    logger.propagate = False
    logger.addHandler(written)
    return logger, written, clock


def test_past_the_limit_a_message_is_counted_and_the_count_written_when_the_interval_ends() -> None:
    logger, written, clock = _limited()
    for fd in range(1000):
        logger.error("accept failed on %d", fd)
    logger.warning("another message")
    assert written.lines == [*(f"accept failed on {fd}" for fd in range(3)), "another message"]
    clock.advance_to(159.9)
    assert len(written.lines) == 4
    clock.advance_to(160.0)
    assert written.lines[4:] == [
        "997 more like this were suppressed (at most 3 are written in 60 s): accept failed on %d"
    ]
    logger.error("accept failed on %d", 1)
    assert written.lines[5:] == ["accept failed on 1"], "a new interval starts afresh"


def test_a_message_within_its_limit_leaves_no_count_behind() -> None:
    logger, written, clock = _limited()
    for _ in range(3):
        logger.error("once in a while")
    clock.advance_to(1000)
    logger.error("once in a while")
    assert written.lines == ["once in a while"] * 4
    assert clock.due == []


def test_the_same_text_at_another_level_or_logger_is_another_message() -> None:
    logger, written, _ = _limited(limit=1)
    logger.error("same")
    logger.warning("same")
    logger.getChild("child").error("same")
    logger.error("same")
    assert written.lines == ["same"] * 3


def _uvicorns_line() -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.error", logging.ERROR, "", 0, "ASGI callable returned without completing response.", (), None
    )


def test_uvicorns_line_is_dropped_only_in_the_request_whose_download_we_stopped() -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        raise DownloadEndedError

    async def a_request(ended_by_the_session: bool) -> bool:
        if ended_by_the_session:
            await DownloadsEndQuietly().handle({"type": "http"}, None, None, app)  # type: ignore[arg-type]
        return UvicornsLineOnIt().filter(_uvicorns_line())

    async def both() -> list[bool]:
        return [await asyncio.create_task(a_request(True)), await asyncio.create_task(a_request(False))]

    assert asyncio.run(both()) == [False, True]
    other = _uvicorns_line()
    other.msg = "Exception in ASGI application\n"
    assert UvicornsLineOnIt().filter(other)
