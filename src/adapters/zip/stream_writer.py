"""Members to one ZIP stream, written as they come: a file's bytes are sent as they are decrypted, its CRC-32
and sizes follow them in a data descriptor, and the central directory (a few dozen bytes a member) ends it."""

import asyncio
import stat
from collections.abc import AsyncGenerator, AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from dataclasses import replace

from zlib_ng import zlib_ng as zlib

from ios_backup_api.adapters.zip.records import (
    DEFLATED,
    LIMIT_32,
    STORED,
    EntryHead,
    central_record,
    data_descriptor,
    end_of_archive,
    local_header,
    may_reach_4_gib,
)
from ios_backup_api.domain.archive import ArchiveMember, Compression, MemberKind

_TYPE_BITS = {
    MemberKind.FILE: stat.S_IFREG,
    MemberKind.FOLDER: stat.S_IFDIR,
    MemberKind.SYMLINK: stat.S_IFLNK,
}
_SMALL = 64 << 10
"""Headers and small files are gathered into sends of about this size; larger chunks go out as they are."""


class ZipStreamEncoder:
    """`ArchiveEncoder` for ZIP. Stored by default. The CRC-32 and deflate run on `threads` worker threads of
    its own (zlib releases the GIL): the event loop only sends, while the vault decrypts the next chunk."""

    def __init__(self, threads: int = 2, zip64_from: int = LIMIT_32, threaded_from: int = _SMALL) -> None:
        """`zip64_from`: sizes, offsets and counts from this up take ZIP64 fields. Only a test lowers it, to
        reach the ZIP64 records without writing 4 GiB. `threaded_from`: chunks of this size and more have
        their CRC-32 taken in a worker thread, smaller ones at once."""
        self._threaded_from = threaded_from
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="zip-checksum")
        self._zip64_from = zip64_from

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def encode(
        self, members: AsyncGenerator[ArchiveMember, None], compression: Compression
    ) -> AsyncIterator[bytes]:
        directory = bytearray()
        count = 0
        out = _Gathered()
        async with aclosing(members):
            async for member in members:
                if member.chunks is not None and member.size == 0:
                    # Surely empty: written whole, so that it needs no data descriptor, which a reader that
                    # streams the archive could not tell from a stored member's bytes.
                    await member.chunks.aclose()
                    member = replace(member, chunks=None)
                offset = out.position
                method = (
                    DEFLATED
                    if compression is Compression.DEFLATE and member.kind is MemberKind.FILE
                    else STORED
                )
                head = EntryHead(
                    member.name.encode(),
                    method,
                    member.modified_at,
                    _TYPE_BITS[member.kind] | (member.permissions & 0o7777),
                    streamed=member.chunks is not None,
                    zip64=member.chunks is not None
                    and may_reach_4_gib(member.size, method, self._zip64_from),
                )
                if member.chunks is None:
                    crc, size, body = zlib.crc32(member.data), len(member.data), member.data
                    if method == DEFLATED:
                        body = _deflated(member.data)
                    for piece in out.add(local_header(head, crc, size, len(body)), body):
                        yield piece
                    directory += central_record(head, crc, size, len(body), offset, self._zip64_from)
                else:
                    known = member.size if method == STORED else 0
                    for piece in out.add(local_header(head, 0, known, known)):
                        yield piece
                    checksum, size, compressed = _Checksum(self._threads, self._threaded_from), 0, 0
                    async with aclosing(member.chunks) as chunks:
                        async for plain, sent in self._bodies(chunks, method):
                            await checksum.add(plain)
                            size += len(plain)
                            compressed += len(sent)
                            for piece in out.add(sent):
                                yield piece
                    crc = await checksum.value()
                    for piece in out.add(data_descriptor(head, crc, size, compressed)):
                        yield piece
                    directory += central_record(head, crc, size, compressed, offset, self._zip64_from)
                count += 1
        start = out.position
        for piece in out.add(
            bytes(directory), end_of_archive(count, len(directory), start, self._zip64_from)
        ):
            yield piece
        if last := out.rest():
            yield last

    async def _bodies(self, chunks: AsyncIterator[bytes], method: int) -> AsyncIterator[tuple[bytes, bytes]]:
        """(plaintext, what the archive holds of it), chunk by chunk."""
        if method == STORED:
            async for chunk in chunks:
                yield chunk, chunk
            return
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        loop = asyncio.get_running_loop()
        async for chunk in chunks:
            yield chunk, await loop.run_in_executor(self._threads, compressor.compress, chunk)
        yield b"", await loop.run_in_executor(self._threads, compressor.flush)


class _Checksum:
    """The CRC-32 of a member's bytes, each large chunk's taken in a worker thread while the event loop sends
    it (and the vault decrypts the next): one at a time, each after the one before."""

    def __init__(self, threads: ThreadPoolExecutor, threaded_from: int) -> None:
        self._threads = threads
        self._threaded_from = threaded_from
        self._value = 0
        self._running: asyncio.Future[int] | None = None

    async def add(self, data: bytes) -> None:
        previous = await self.value()
        if len(data) < self._threaded_from:  # a thread's hop would cost more than the sum
            self._value = zlib.crc32(data, previous)
        else:
            self._running = asyncio.get_running_loop().run_in_executor(
                self._threads, zlib.crc32, data, previous
            )

    async def value(self) -> int:
        if self._running is not None:
            self._value = await self._running
            self._running = None
        return self._value


def _deflated(data: bytes) -> bytes:
    """A small member's bytes (a symlink's target, a list of names) deflated at once."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


class _Gathered:
    """Counts what was written (the offsets the central directory records) and gathers small pieces into
    sends of about `_SMALL` bytes: a member of a few bytes costs no send of its own."""

    def __init__(self, small: int = _SMALL) -> None:
        self.position = 0
        self._small = small
        self._pending: list[bytes] = []
        self._pending_size = 0

    def add(self, *pieces: bytes) -> list[bytes]:
        ready: list[bytes] = []
        for piece in pieces:
            self.position += len(piece)
            if len(piece) >= self._small:
                if self._pending:
                    ready.append(self.rest())
                ready.append(piece)
                continue
            self._pending.append(piece)
            self._pending_size += len(piece)
            if self._pending_size >= self._small:
                ready.append(self.rest())
        return ready

    def rest(self) -> bytes:
        gathered = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        return gathered
