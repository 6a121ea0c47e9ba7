"""How far a command is: a bar (files and bytes, rate, time left) on a terminal, else a plain line every few
seconds; problems with entries as lines of their own, on standard error."""

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

PLAIN_INTERVAL_SECONDS = 5.0
_MIB = 1 << 20


class Report:
    """Counts files and bytes done out of `files` and `size`; `problem` tells of an entry left out."""

    def __init__(
        self,
        verb: str,
        files: int,
        size: int,
        stream: TextIO | None = None,
        interval: float = PLAIN_INTERVAL_SECONDS,
    ) -> None:
        self._verb = verb
        self._interval = interval
        self.files = files
        self.size = size
        self.files_done = 0
        self.bytes_done = 0
        self.skipped = 0
        self.problems = 0
        self._stream = sys.stderr if stream is None else stream
        self._started = time.monotonic()
        self._last_line = self._started
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if self._stream.isatty():
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[files]}"),
                DownloadColumn(binary_units=True),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self._stream),
                transient=True,
            )

    def __enter__(self) -> "Report":
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(self._verb, total=self.size, files=self._files_text())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def bytes(self, count: int) -> None:
        self.bytes_done += count
        self._moved()

    def file(self, already_there: bool = False) -> None:
        self.files_done += 1
        self.skipped += already_there
        self._moved()

    def problem(self, sentence: str) -> None:
        self.problems += 1
        if self._bar is not None:
            self._bar.console.print(sentence, markup=False, highlight=False)
        else:
            print(sentence, file=self._stream, flush=True)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._started

    def _moved(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self.bytes_done, files=self._files_text())
            return
        now = time.monotonic()
        if now - self._last_line >= self._interval:
            self._last_line = now
            print(self._plain_line(now), file=self._stream, flush=True)

    def _files_text(self) -> str:
        return f"{self.files_done:,}/{self.files:,} files"

    def _plain_line(self, now: float) -> str:
        rate = self.bytes_done / max(now - self._started, 1e-9)
        left = (self.size - self.bytes_done) / rate if rate else float("inf")
        return (
            f"{self._verb}: {self._files_text()}, {self.bytes_done / _MIB:,.1f}/{self.size / _MIB:,.1f} MiB,"
            f" {rate / _MIB:,.1f} MiB/s, {_duration(left)} left"
        )


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "unknown time"
    minutes, rest = divmod(int(seconds + 0.5), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
