"""Blocking calls in worker threads, a bounded number at once."""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class BoundedThreads:
    """At most `limit` calls run at once. A caller cancelled mid-call keeps its slot until the call returns,
    so the bound holds for threads, not just for waiting coroutines."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the limit must be at least 1, got {limit}")
        self._slots = asyncio.Semaphore(limit)

    async def run(self, call: Callable[[], T]) -> T:
        await self._slots.acquire()
        try:
            future = asyncio.get_running_loop().run_in_executor(None, call)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(self._release)
        return await asyncio.shield(future)

    def _release(self, future: "asyncio.Future[Any]") -> None:
        self._slots.release()
        if not future.cancelled():
            future.exception()  # retrieved here, so an abandoned call's failure is not reported as unhandled
