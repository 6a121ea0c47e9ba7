"""A regular file's payload, `<fileID[:2]>/<fileID>`: its plaintext, streamed from any offset."""

import asyncio
import hashlib
import io
import os
import stat
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from adapters.vault.cbc import BLOCK_SIZE, ZERO_IV, decryptor, plaintext_length
from adapters.vault.ended import session_ended
from adapters.vault.entries import FilesRow
from adapters.vault.keybag import UnlockedKeybag
from adapters.vault.mbfile import decode_file_record
from adapters.vault.reading import read_fully
from domain.errors import CorruptBackupError, EntryNotFoundError
from domain.manifest import ByteRange
from domain.ports.vault import FileContent

CHUNK_SIZE = 1 << 20  # a multiple of the AES block size


@dataclass(frozen=True, slots=True)
class Payload:
    file_id: str
    path: Path
    size: int
    etag: str

    def open(self) -> io.FileIO:
        """The payload, checked to be the one `content()` measured."""
        try:
            file = io.FileIO(self.path, "r")
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


def open_content(
    folder: Path, row: FilesRow, keys: UnlockedKeybag | None, is_open: Callable[[], bool]
) -> FileContent:
    """Blocking (stat, unwrap, one block decrypted): run it in a worker thread.
    Raises `EntryNotFoundError` without a payload, `CorruptBackupError` for a damaged one."""
    payload = _find(folder, row.file_id)
    if keys is None or payload.size == 0:  # an empty file is an empty payload, even encrypted
        return PlainContent(row.relative_path, payload, is_open)
    record = decode_file_record(row.file)
    if record.encryption_key is None:
        raise CorruptBackupError(f"File {row.file_id} has no encryption key in the manifest.")
    key = keys.unwrap_record(record.encryption_key, record.protection_class)
    return EncryptedContent(row.relative_path, payload, key, _encrypted_length(payload, key), is_open)


class _Span(NamedTuple):
    """`size` bytes of payload at `offset`, of which [`keep_from`, `keep_to`) are part of the range read."""

    offset: int
    size: int
    keep_from: int
    keep_to: int


class PlainContent:
    def __init__(self, relative_path: str, payload: Payload, is_open: Callable[[], bool]) -> None:
        self.relative_path = relative_path
        self._payload = payload
        self._is_open = is_open

    @property
    def length(self) -> int:
        return self._payload.size

    @property
    def etag(self) -> str:
        return self._payload.etag

    def read(self, byte_range: ByteRange) -> AsyncIterator[bytes]:
        check_range(byte_range, self.length)
        return _stream(_spans(byte_range.start, byte_range.stop, byte_range), self._read_span, self._is_open)

    def _read_span(self, span: _Span) -> bytes:
        return self._payload.read_bytes(span.offset, span.size)


class EncryptedContent:
    """AES-256-CBC: decrypting starts at the block holding the range's first byte, with the block before it
    as IV, so a range costs what it reads."""

    def __init__(
        self, relative_path: str, payload: Payload, key: bytes, length: int, is_open: Callable[[], bool]
    ) -> None:
        self.relative_path = relative_path
        self._payload = payload
        self._key = key
        self._length = length
        self._is_open = is_open

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
        decrypter = _SpanDecrypter(self._payload, self._key)
        spans = _spans(first_block, end, byte_range)
        return _stream(spans, decrypter.plaintext, self._is_open, decrypter.wipe)


class _SpanDecrypter:
    """Buffers reused from span to span: a read's memory does not grow with its range."""

    def __init__(self, payload: Payload, key: bytes) -> None:
        self._payload = payload
        self._key = key
        self._ciphertext = memoryview(bytearray(BLOCK_SIZE + CHUNK_SIZE))
        self._plaintext = memoryview(bytearray(CHUNK_SIZE + BLOCK_SIZE))  # update_into wants a block spare

    def plaintext(self, span: _Span) -> bytes:
        iv_size = BLOCK_SIZE if span.offset else 0
        ciphertext = self._ciphertext[: iv_size + span.size]
        self._payload.read(span.offset - iv_size, ciphertext)
        iv = bytes(ciphertext[:iv_size]) if iv_size else ZERO_IV
        decryptor(self._key, iv).update_into(ciphertext[iv_size:], self._plaintext)
        return bytes(self._plaintext[span.keep_from : span.keep_to])

    def wipe(self) -> None:
        self._plaintext[:] = bytes(len(self._plaintext))


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
    is_open: Callable[[], bool],
    done: Callable[[], None] = lambda: None,
) -> AsyncIterator[bytes]:
    try:
        for span in spans:
            if not is_open():
                raise session_ended()
            yield await asyncio.to_thread(read, span)
    finally:
        done()


def _find(folder: Path, file_id: str) -> Payload:
    path = folder / file_id[:2] / file_id
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise EntryNotFoundError(f"The content of file {file_id} is missing from the backup.") from None
    except OSError as error:
        raise CorruptBackupError(
            f"The content of file {file_id} can't be read ({error.strerror})."
        ) from error
    if not stat.S_ISREG(status.st_mode):
        raise EntryNotFoundError(f"The content of file {file_id} is missing from the backup.")
    return Payload(file_id, path, status.st_size, _etag(file_id, status))


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
