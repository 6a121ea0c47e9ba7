"""Blocking work on backup folders (stat, open, read) on threads of their own, so that a file that never
answers (a hung disk or network mount) can't take the threads everything else needs, nor hold up a stop."""

import asyncio
import contextlib
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TypeVar

from ios_backup_api.adapters.backup_folder.problems import BackupFolderError

T = TypeVar("T")


class FolderNotAnsweringError(BackupFolderError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The backup folder did not answer within {seconds:g} s (a hung disk or network mount?)."
        )


@dataclass
class _Lane:
    """One folder's work: the callers waiting or running (`users`), and by when each running piece was
    allowed to end."""

    slots: asyncio.Semaphore
    deadlines: dict[int, float] = field(default_factory=dict)
    users: int = 0


class FileWork:
    """Runs blocking folder work on up to `threads` daemon threads, at most `per_folder` of them per folder.

    A caller waits `timeout` seconds at most (longer when it says so), then gets `FolderNotAnsweringError`
    while the work itself goes on in its thread. A folder with work still running past what it was allowed
    is stuck: its further work is refused at once, so a stuck folder holds the threads it had when it stuck
    and no more, and a refresh of many folders answers in about one `timeout`. The threads are daemons: a
    stop never waits for one that is stuck.
    """

    def __init__(self, threads: int = 64, per_folder: int = 8, timeout: float = 5.0) -> None:
        if threads < 1 or not 1 <= per_folder <= threads or timeout <= 0:
            raise ValueError(f"bad limits: {threads} threads, {per_folder} per folder, {timeout} s")
        self.timeout = timeout
        self._max_threads = threads
        self._per_folder = per_folder
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], Future[object]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._queued = 0
        self._lanes: dict[str, _Lane] = {}
        self._numbers = itertools.count()

    async def run(self, folder: str, work: Callable[[], T], allow_seconds: float | None = None) -> T:
        """`work()` for the folder named `folder`, its answer or its exception; `FolderNotAnsweringError`
        when the folder is stuck or `work` does not end within `allow_seconds` (`timeout` when None)."""
        loop = asyncio.get_running_loop()
        allowed = self.timeout if allow_seconds is None else allow_seconds
        deadline = loop.time() + allowed
        lane = self._lanes.get(folder)
        if lane is None:
            lane = self._lanes[folder] = _Lane(asyncio.Semaphore(self._per_folder))
        if any(loop.time() > allowed_until for allowed_until in lane.deadlines.values()):
            raise FolderNotAnsweringError(self.timeout)
        lane.users += 1
        try:
            async with asyncio.timeout_at(deadline):
                await lane.slots.acquire()
        except TimeoutError:
            self._leave(folder, lane)
            raise FolderNotAnsweringError(allowed) from None
        number = next(self._numbers)
        lane.deadlines[number] = deadline
        done = self._submit(work)
        done.add_done_callback(lambda _: _call_soon(loop, self._finished, folder, lane, number))
        waiting = asyncio.wrap_future(done)
        try:
            async with asyncio.timeout_at(deadline):
                answer = await asyncio.shield(waiting)
        except TimeoutError:
            waiting.add_done_callback(_retrieved)
            raise FolderNotAnsweringError(allowed) from None
        except BaseException:  # the caller was cancelled (a lock that ends a stream, a client gone)
            waiting.add_done_callback(_retrieved)
            raise
        return answer  # type: ignore[return-value]  # the future holds what `work` returned

    def lane(self, folder: str) -> "FolderLane":
        return FolderLane(self, folder)

    def _finished(self, folder: str, lane: _Lane, number: int) -> None:
        del lane.deadlines[number]
        lane.slots.release()
        self._leave(folder, lane)

    def _leave(self, folder: str, lane: _Lane) -> None:
        lane.users -= 1
        if lane.users == 0 and self._lanes.get(folder) is lane:
            del self._lanes[folder]

    def _submit(self, work: Callable[[], object]) -> "Future[object]":
        done: Future[object] = Future()
        with self._lock:
            # An idle thread may not have taken the work queued before this yet: each piece needs its own.
            if self._idle <= self._queued and self._threads < self._max_threads:
                self._threads += 1
                self._idle += 1
                threading.Thread(target=self._serve, name="folder-work", daemon=True).start()
            self._queued += 1
            self._jobs.put((work, done))
        return done

    def _serve(self) -> None:
        while True:
            work, done = self._jobs.get()
            with self._lock:
                self._idle -= 1
                self._queued -= 1
            if done.set_running_or_notify_cancel():
                try:
                    done.set_result(work())
                except BaseException as error:  # handed to the caller, who raises it
                    done.set_exception(error)
            # Not held while idle: the future holds the work's result (a manifest, a file's bytes), which
            # would live as long as this thread waits for its next piece of work.
            del work, done
            with self._lock:
                self._idle += 1


@dataclass(frozen=True, slots=True)
class FolderLane:
    """`FileWork.run` for one folder."""

    work: FileWork
    folder: str

    async def run(self, work: Callable[[], T], allow_seconds: float | None = None) -> T:
        return await self.work.run(self.folder, work, allow_seconds)


def _retrieved(waiting: "asyncio.Future[object]") -> None:
    """Work whose caller stopped waiting may still fail (the session it read for ended meanwhile): nobody is
    left to report that to, and asyncio would log it as a future's exception never retrieved."""
    if not waiting.cancelled():
        waiting.exception()


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: object) -> None:
    """From a worker thread; work that was stuck may end after its loop did."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, *args)
