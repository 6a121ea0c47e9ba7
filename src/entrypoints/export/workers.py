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
    items per worker. The first failure (or a cancel) stops the rest."""
    queue: asyncio.Queue[tuple[T] | None] = asyncio.Queue(at_once * 4)

    async def worker() -> None:
        while (item := await queue.get()) is not None:
            await work(item[0])

    workers = [asyncio.create_task(worker()) for _ in range(at_once)]
    try:
        async for item in items:
            await queue.put((item,))
            if any(task.done() for task in workers):  # a failed worker: stop reading
                break
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
