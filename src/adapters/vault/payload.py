"""A regular file's payload, `<fileID[:2]>/<fileID>` (or `<fileID>` in a Manifest.mbdb backup): its plaintext,
streamed from any offset."""

import asyncio
import hashlib
import io
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from ios_backup_api.adapters.backup_folder.file_work import FolderLane
from ios_backup_api.adapters.backup_folder.opening import FolderHandle
from ios_backup_api.adapters.vault.cbc import BLOCK_SIZE, ZERO_IV, decryptor, plaintext_length
from ios_backup_api.adapters.vault.ended import session_ended
from ios_backup_api.adapters.vault.entries import FilesRow
from ios_backup_api.adapters.vault.folder_answers import answered
from ios_backup_api.adapters.vault.keybag import UnlockedKeybag
from ios_backup_api.adapters.vault.reading import read_fully
from ios_backup_api.domain.errors import CorruptBackupError, EntryNotFoundError
from ios_backup_api.domain.manifest import ByteRange
from ios_backup_api.domain.ports.vault import FileContent

CHUNK_SIZE = 1 << 20  # a multiple of the AES block size
READS_AHEAD = 1  # 2 and 3 were no faster here: the two cores are shared with the socket and the client


@dataclass(frozen=True, slots=True)
class Payload:
    file_id: str
    relative: str
    """Its path in the backup folder."""
    folder: FolderHandle
    size: int
    etag: str

    def open(self) -> io.FileIO:
        """The payload, checked to be the one `content()` measured."""
        try:
            file = self.folder.open(self.relative)
        except OSError as error:
            raise CorruptBackupError(
                f"The content of file {self.file_id} vanished while it was read."
            ) from error
        if os.fstat(file.fileno()).st_size != self.size:
            file.close()
            raise CorruptBackupError(f"The content of file {self.file_id} changed while it was read.")
        return file

    def read_bytes(self, offset: int, count: int) -> bytes:
        with self.open() as file:
            file.seek(offset)
            data = file.read(count) or b""
            while len(data) < count:
                more = file.read(count - len(data))
                if not more:
                    raise CorruptBackupError(
                        f"The content of file {self.file_id} is shorter than its length."
                    )
                data += more
        return data

    def read(self, offset: int, view: memoryview) -> None:
        with self.open() as file:
            file.seek(offset)
            if read_fully(file, view) != len(view):
                raise CorruptBackupError(f"The content of file {self.file_id} is shorter than its length.")


@dataclass(frozen=True, slots=True)
class Reading:
    """Where a content's reads run (its folder's lane), and whether its session still lets them."""

    lane: FolderLane
    is_open: Callable[[], bool]


def open_content(
    folder: FolderHandle,
    row: FilesRow,
    keys: UnlockedKeybag | None,
    reading: Reading,
    flat_payloads: bool = False,
) -> FileContent:
    """Blocking (stat, unwrap, one block decrypted): run it in the folder's lane. `flat_payloads`: the
    payload is `<fileID>` at the folder's root (Manifest.mbdb backups), not in a `<fileID[:2]>` folder.
    Raises `EntryNotFoundError` without a payload, `CorruptBackupError` for a damaged one."""
    payload = _find(folder, row.file_id, row.file_id if flat_payloads else _relative(row.file_id))
    if keys is None or payload.size == 0:  # an empty file is an empty payload, even encrypted
        return PlainContent(row.relative_path, payload, reading)
    record = row.record()
    if record.encryption_key is None:
        raise CorruptBackupError(f"File {row.file_id} has no encryption key in the manifest.")
    key = keys.unwrap_record(record.encryption_key, record.protection_class)
    return EncryptedContent(row.relative_path, payload, key, _encrypted_length(payload, key), reading)


class _Span(NamedTuple):
    """`size` bytes of payload at `offset`, of which [`keep_from`, `keep_to`) are part of the range read."""

    offset: int
    size: int
    keep_from: int
    keep_to: int


class PlainContent:
    def __init__(self, relative_path: str, payload: Payload, reading: Reading) -> None:
        self.relative_path = relative_path
        self._payload = payload
        self._reading = reading

    @property
    def length(self) -> int:
        return self._payload.size

    @property
    def etag(self) -> str:
        return self._payload.etag

    def read(self, byte_range: ByteRange) -> AsyncIterator[bytes]:
        check_range(byte_range, self.length)
        return _stream(_spans(byte_range.start, byte_range.stop, byte_range), self._read_span, self._reading)

    def _read_span(self, span: _Span) -> bytes:
        return self._payload.read_bytes(span.offset, span.size)


class EncryptedContent:
    """AES-256-CBC: decrypting starts at the block holding the range's first byte, with the block before it
    as IV, so a range costs what it reads."""

    def __init__(
        self, relative_path: str, payload: Payload, key: bytes, length: int, reading: Reading
    ) -> None:
        self.relative_path = relative_path
        self._payload = payload
        self._key = key
        self._length = length
        self._reading = reading

    @property
    def length(self) -> int:
        return self._length

    @property
    def etag(self) -> str:
        return self._payload.etag

    def read(self, byte_range: ByteRange) -> AsyncIterator[bytes]:
        check_range(byte_range, self.length)
        first_block = byte_range.start - byte_range.start % BLOCK_SIZE
        end = min(-(-byte_range.stop // BLOCK_SIZE) * BLOCK_SIZE, self._payload.size)
        decrypter = _SpanDecrypter(self._payload, self._key, min(CHUNK_SIZE, end - first_block))
        spans = _spans(first_block, end, byte_range)
        return _stream(spans, decrypter.plaintext, self._reading, decrypter.wipe)


class _SpanDecrypter:
    """Decrypts spans in worker threads, up to READS_AHEAD at once, each into a buffer set of its own that
    the next span reuses: a read's memory does not grow with its range. The payload stays open from the
    first span to `wipe`, which waits for the spans still being decrypted."""

    def __init__(self, payload: Payload, key: bytes, largest_span: int) -> None:
        self._payload = payload
        self._key = key
        self._largest_span = largest_span
        self._file: io.FileIO | None = None
        self._wiped = False
        self._busy = 0
        self._state = threading.Condition()
        self._seeking = threading.Lock()
        self._free: list[tuple[memoryview, memoryview]] = []
        self._buffers: list[memoryview] = []

    def plaintext(self, span: _Span) -> bytes:
        file, (ciphertext, plaintext) = self._start()
        try:
            iv_size = BLOCK_SIZE if span.offset else 0
            wanted = ciphertext[: iv_size + span.size]
            if _read_at(file, wanted, span.offset - iv_size, self._seeking) != len(wanted):
                # It had the right size when it was opened.
                raise CorruptBackupError(
                    f"The content of file {self._payload.file_id} changed while it was read."
                )
            iv = bytes(wanted[:iv_size]) if iv_size else ZERO_IV
            decryptor(self._key, iv).update_into(wanted[iv_size:], plaintext)
            return bytes(plaintext[span.keep_from : span.keep_to])
        finally:
            with self._state:
                self._free.append((ciphertext, plaintext))
                self._busy -= 1
                self._state.notify_all()

    def _start(self) -> tuple[io.FileIO, tuple[memoryview, memoryview]]:
        with self._state:
            if self._wiped:  # the stream was closed before this read ran
                raise session_ended()
            if self._file is None:
                self._file = self._payload.open()
            if not self._free:  # update_into wants a block of room beyond the data
                plaintext = memoryview(bytearray(self._largest_span + BLOCK_SIZE))
                self._buffers.append(plaintext)
                self._free.append((memoryview(bytearray(BLOCK_SIZE + self._largest_span)), plaintext))
            self._busy += 1
            return self._file, self._free.pop()

    def wipe(self) -> None:
        with self._state:
            self._wiped = True
            while self._busy:
                self._state.wait()
            for plaintext in self._buffers:
                plaintext[:] = bytes(len(plaintext))
            if self._file is not None:
                self._file.close()
                self._file = None


def _read_at(file: io.FileIO, view: memoryview, offset: int, seeking: threading.Lock) -> int:
    """Reads at `offset`; without moving a shared position where the system can (spans are read by
    several threads at once), else seeking under a lock (Windows has no pread)."""
    if not hasattr(os, "preadv"):
        with seeking:
            file.seek(offset)
            return read_fully(file, view)
    total = 0
    while total < len(view):
        count = os.preadv(file.fileno(), [view[total:]], offset + total)
        if not count:
            break
        total += count
    return total


def check_range(byte_range: ByteRange, length: int) -> None:
    if not 0 <= byte_range.start <= byte_range.stop <= length:
        raise ValueError(f"byte range {byte_range.start}-{byte_range.stop} is outside 0-{length}")


def _spans(offset: int, end: int, wanted: ByteRange) -> Iterator[_Span]:
    for start in range(offset, end if wanted.length else offset, CHUNK_SIZE):
        count = min(CHUNK_SIZE, end - start)
        yield _Span(start, count, max(wanted.start, start) - start, min(wanted.stop, start + count) - start)


async def _stream(
    spans: Iterator[_Span],
    read: Callable[[_Span], bytes],
    reading: Reading,
    done: Callable[[], None] = lambda: None,
) -> AsyncIterator[bytes]:
    """Spans are read in the folder's lane, up to READS_AHEAD of them ahead of the one being sent: the
    disk, AES and the socket work at once. Chunks come out in order."""
    pending: deque[asyncio.Future[bytes]] = deque()
    is_open = reading.is_open
    try:
        for span in spans:
            if not is_open():
                raise session_ended()
            pending.append(asyncio.ensure_future(answered(reading.lane, partial(read, span))))
            if len(pending) > READS_AHEAD:
                yield await pending.popleft()
        while pending:
            chunk = await pending.popleft()
            if not is_open():
                raise session_ended()
            yield chunk
    finally:
        for future in pending:
            future.add_done_callback(_retrieve)
        done()


def _retrieve(future: "asyncio.Future[bytes]") -> None:
    if not future.cancelled():
        future.exception()  # a read nobody waits for any more: its failure is not reported as unhandled


def _find(folder: FolderHandle, file_id: str, relative: str) -> Payload:
    try:
        status = folder.stat(relative)
    except (FileNotFoundError, NotADirectoryError):
        raise EntryNotFoundError(f"The content of file {file_id} is missing from the backup.") from None
    except OSError as error:
        raise CorruptBackupError(
            f"The content of file {file_id} can't be read ({error.strerror})."
        ) from error
    return Payload(file_id, relative, folder, status.st_size, _etag(file_id, status))


def _relative(file_id: str) -> str:
    """Where a payload lies in a Manifest.db backup's folder."""
    return f"{file_id[:2]}/{file_id}"


def _etag(file_id: str, status: os.stat_result) -> str:
    # Names the payload's version, not its plaintext.
    version = f"{file_id}:{status.st_size}:{status.st_mtime_ns}:{status.st_ino}"
    return f'"{hashlib.sha256(version.encode()).hexdigest()[:32]}"'


def _encrypted_length(payload: Payload, key: bytes) -> int:
    if payload.size % BLOCK_SIZE:
        raise CorruptBackupError(
            f"The content of file {payload.file_id} is damaged: its size is not a whole number of AES blocks."
        )
    tail = bytearray(min(2 * BLOCK_SIZE, payload.size))
    payload.read(payload.size - len(tail), memoryview(tail))
    length = plaintext_length(key, payload.size, bytes(tail))
    if length is None:
        raise CorruptBackupError(
            f"The content of file {payload.file_id} does not decrypt: its padding is invalid."
        )
    return length
