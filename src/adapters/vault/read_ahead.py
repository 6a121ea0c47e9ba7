"""Manifest.db read in a worker thread while the passphrase's key is derived in another, and stopped as soon
as the unlock no longer wants it: a wrong passphrase, a cancelled attempt, any failure."""

import asyncio
import threading
from collections.abc import Awaitable, Callable
from functools import partial

from ios_backup_api.adapters.vault.manifest_buffer import ManifestBuffer
from ios_backup_api.domain.errors import CorruptBackupError


class ReadAhead:
    """Owns the read and its bytes until `taken()` hands them over. `discard()` stops the read (within a
    piece of the file) and frees what it read; `finished` is called once the bytes are handed over or freed,
    so that the vault starts no second read of a backup while one still holds memory."""

    def __init__(
        self,
        read: Callable[[threading.Event], ManifestBuffer | None],
        finished: Callable[[], None],
        run: Callable[[Callable[[], ManifestBuffer | None]], Awaitable[ManifestBuffer | None]],
    ) -> None:
        """`run` runs the read off the loop (in the backup folder's lane)."""
        self._stop = threading.Event()
        self._finished = finished
        self._settled = False
        self._reading = asyncio.ensure_future(run(partial(read, self._stop)))

    async def taken(self) -> ManifestBuffer | None:
        """What was read, now the caller's to wipe; or None (the load then reads the file itself, and reports
        what is wrong)."""
        try:
            buffer = await asyncio.shield(self._reading)  # a cancelled caller leaves the read to `discard`
        except CorruptBackupError:
            buffer = None
        self._settle()
        return buffer

    def discard(self) -> None:
        """Stops the read and frees its bytes, off the loop. Nothing once they were taken."""
        if not self._settled:
            self._settled = True
            self._stop.set()
            self._reading.add_done_callback(self._free)

    def _settle(self) -> None:
        if not self._settled:
            self._settled = True
            self._finished()

    def _free(self, reading: "asyncio.Future[ManifestBuffer | None]") -> None:
        buffer = None if reading.cancelled() or reading.exception() is not None else reading.result()
        if buffer is None:
            self._finished()
            return
        wiping = asyncio.get_running_loop().run_in_executor(None, buffer.wipe)
        wiping.add_done_callback(lambda _: self._finished())
