"""Items of an async stream worked on a few at once, in bounded memory."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

FILES_AT_ONCE = 8
"""Files being read, decrypted and written at once: the disk, AES and the writes overlap across files."""


async def each_at_once(
    items: AsyncIterator[T], work: Callable[[T], Awaitable[None]], at_once: int = FILES_AT_ONCE
) -> None:
    """`work(item)` for every item, `at_once` at a time; the stream is read no further ahead than a few
    items per worker. The first failure stops the rest (the workers drain what is queued, so none waits
    for another) and is raised."""
    queue: asyncio.Queue[tuple[T] | None] = asyncio.Queue(at_once * 4)
    failures: list[Exception] = []

    async def worker() -> None:
        while (item := await queue.get()) is not None:
            if failures:
                continue
            try:
                await work(item[0])
            except Exception as failure:
                failures.append(failure)

    workers = [asyncio.create_task(worker()) for _ in range(at_once)]
    try:
        async for item in items:
            if failures:
                break
            await queue.put((item,))
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    if failures:
        raise failures[0]
