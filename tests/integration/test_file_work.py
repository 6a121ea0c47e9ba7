"""FileWork: folder work on threads of its own, each folder in its lane; a stuck folder answers at once
that it is stuck and holds no more threads; the threads never hold up the process's exit."""

import asyncio
import gc
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from ios_backup_api.adapters.backup_folder.file_work import FileWork, FolderNotAnsweringError

TIMEOUT = 0.3


async def test_work_answers_with_its_result_or_its_exception() -> None:
    work = FileWork(timeout=TIMEOUT)
    assert await work.run("a", lambda: 42) == 42

    def failing() -> None:
        raise FileNotFoundError("gone")

    with pytest.raises(FileNotFoundError, match="gone"):
        await work.run("a", failing)


@pytest.mark.parametrize("stop", ["cancelled", "timed out"])
async def test_work_that_fails_after_its_caller_stopped_waiting_logs_nothing(stop: str) -> None:
    """A lock that ends an archive cancels a caller whose content was still being opened; that opening then
    fails (the session ended). Nobody is left to tell, and asyncio must not log a never-retrieved error."""
    work, release, reported = FileWork(timeout=TIMEOUT), threading.Event(), []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: reported.append(context))

    def failing_later() -> None:
        release.wait()
        raise RuntimeError("the session ended")

    caller = asyncio.ensure_future(work.run("a", failing_later, None if stop == "timed out" else 5))
    await asyncio.sleep(0.05 if stop == "cancelled" else TIMEOUT + 0.1)
    caller.cancel()
    with pytest.raises((asyncio.CancelledError, FolderNotAnsweringError)):
        await caller
    release.set()
    await asyncio.sleep(0.1)  # the work fails, and its answer reaches the loop
    del caller
    gc.collect()
    await asyncio.sleep(0)
    assert reported == []


async def test_a_stuck_folder_is_refused_at_once_and_others_are_served() -> None:
    work, release = FileWork(timeout=TIMEOUT), threading.Event()
    started = time.monotonic()
    with pytest.raises(FolderNotAnsweringError, match=r"did not answer within 0\.3 s"):
        await work.run("stuck", release.wait)
    assert time.monotonic() - started >= TIMEOUT
    refused_at = time.monotonic()
    with pytest.raises(FolderNotAnsweringError):
        await work.run("stuck", lambda: "never runs")
    assert time.monotonic() - refused_at < TIMEOUT, "refused at once, not after another wait"
    assert await work.run("other", lambda: "served") == "served"
    release.set()
    for _ in range(100):
        await asyncio.sleep(0.01)
        try:
            assert await work.run("stuck", lambda: "back") == "back"
            break
        except FolderNotAnsweringError:
            continue
    else:
        raise AssertionError("the folder stayed refused after its stuck work returned")


async def test_one_folder_runs_at_most_its_share_of_threads_at_once() -> None:
    work = FileWork(threads=8, per_folder=2, timeout=5)
    running, peak, lock = 0, 0, threading.Lock()

    def counted() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    await asyncio.gather(*(work.run("a", counted) for _ in range(6)))
    assert peak == 2


async def test_work_waiting_for_a_slot_of_a_busy_folder_counts_that_wait_in_its_allowance() -> None:
    work, release = FileWork(threads=4, per_folder=1, timeout=5), threading.Event()
    busy = asyncio.ensure_future(work.run("a", release.wait))
    await asyncio.sleep(0.05)
    with pytest.raises(FolderNotAnsweringError, match=r"within 0\.2 s"):
        await work.run("a", lambda: None, allow_seconds=0.2)
    release.set()
    await busy


def test_the_limits_are_checked() -> None:
    for threads, per_folder, timeout in ((0, 1, 1.0), (2, 3, 1.0), (2, 0, 1.0), (2, 1, 0.0)):
        with pytest.raises(ValueError, match="bad limits"):
            FileWork(threads, per_folder, timeout)


def test_a_process_with_stuck_work_still_exits() -> None:
    program = textwrap.dedent(
        """
        import asyncio, threading
        from ios_backup_api.adapters.backup_folder.file_work import FileWork, FolderNotAnsweringError

        async def main():
            try:
                await FileWork(timeout=0.2).run("stuck", threading.Event().wait)
            except FolderNotAnsweringError:
                print("answered")

        asyncio.run(main())
        """
    )
    finished = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=30, check=True)
    assert finished.stdout == b"answered\n"


async def test_work_allowed_longer_than_the_timeout_does_not_make_its_folder_stuck() -> None:
    work, release = FileWork(timeout=0.2), threading.Event()
    long = asyncio.ensure_future(work.run("a", release.wait, allow_seconds=30))
    await asyncio.sleep(0.4)
    assert await work.run("a", lambda: "served beside it") == "served beside it"
    release.set()
    await long


async def test_work_submitted_at_once_never_waits_behind_work_that_blocks() -> None:
    work, release = FileWork(threads=8, per_folder=8, timeout=2), threading.Event()
    await work.run("warm", lambda: None)  # one idle thread, which the next two must not both count on
    blocked = asyncio.ensure_future(work.run("a", release.wait, allow_seconds=30))
    await asyncio.sleep(0)  # "a" is queued; the idle thread may not have taken it yet
    assert await work.run("b", lambda: "not queued behind a") == "not queued behind a"
    release.set()
    await blocked
