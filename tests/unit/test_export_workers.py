"""Items worked on a few at once: every one done, and a failure stops the rest without a hang."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from ios_backup_api.entrypoints.export.workers import each_at_once


async def _numbers(count: int) -> AsyncIterator[int]:
    for number in range(count):
        yield number


async def test_every_item_is_worked_on_and_no_more_than_so_many_at_once() -> None:
    done: list[int] = []
    running = peak = 0

    async def work(number: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        done.append(number)
        running -= 1

    await each_at_once(_numbers(200), work, at_once=3)
    assert sorted(done) == list(range(200))
    assert peak == 3


async def test_a_failure_of_every_worker_stops_the_stream_and_is_raised() -> None:
    started: list[int] = []

    async def work(number: int) -> None:
        started.append(number)
        raise RuntimeError(f"broke on {number}")

    with pytest.raises(RuntimeError, match="broke on 0"):
        await asyncio.wait_for(each_at_once(_numbers(10_000), work, at_once=2), timeout=10)
    assert len(started) < 100, "the stream went on after the failure"
