"""Manifest.db's bytes in memory: read (possibly while the passphrase's key is still being derived), then
decrypted in place, half of it in a second thread. The memory is a nameless RAM file SQLite then reads in
place where the system has one (see ram_file), else an anonymous mapping."""

import ctypes
import mmap
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ios_backup_api.adapters.vault.cbc import BLOCK_SIZE, ZERO_IV, decryptor, padding_length
from ios_backup_api.adapters.vault.ram_file import RamFile, ram_file
from ios_backup_api.adapters.vault.reading import read_fully
from ios_backup_api.domain.errors import CorruptBackupError

MANIFEST_DB = "Manifest.db"
_CHUNK_SIZE = 1 << 20
_PARALLEL_FROM = 16 << 20  # below this a second thread costs more than it saves


@dataclass(slots=True)
class ManifestBytes:
    fingerprint: str
    """The file's version when it was read (see `manifest_fingerprint`)."""
    data: mmap.mmap
    """The file's bytes, then one spare block: decrypting into a buffer wants a block of room. A mapping
    (of the RAM file, or anonymous): its pages are zeroed by the kernel as they are first written, while
    bytearray(n) would write n zeros first, holding the GIL (a third of a second for 300 MB)."""
    ram: RamFile | None = None
    """The RAM file `data` maps, and SQLite's connection to it; None for an anonymous mapping."""
    decrypted: bool = False
    discarding: threading.Lock = field(default_factory=threading.Lock)

    @property
    def size(self) -> int:
        return len(self.data) - BLOCK_SIZE


def manifest_fingerprint(folder: Path) -> str:
    """Changes when the backup is rewritten, so a new Manifest.db is loaded afresh."""
    try:
        return _fingerprint((folder / MANIFEST_DB).stat())
    except FileNotFoundError:
        raise CorruptBackupError("Manifest.db is missing from the backup folder.") from None
    except OSError as error:
        raise CorruptBackupError(f"Manifest.db can't be read ({error.strerror}).") from error


def _fingerprint(stat: os.stat_result) -> str:
    return f"{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def read_manifest_file(folder: Path) -> ManifestBytes:
    """Blocking. Raises `CorruptBackupError` when Manifest.db is missing or can't be read whole."""
    try:
        with (folder / MANIFEST_DB).open("rb", buffering=0) as file:
            stat = os.fstat(file.fileno())
            manifest = _allocated(_fingerprint(stat), stat.st_size + BLOCK_SIZE)
            try:
                with memoryview(manifest.data) as view:
                    if read_fully(file, view[: stat.st_size]) != stat.st_size:
                        raise CorruptBackupError("Manifest.db changed while it was read.")
            except BaseException:
                discard(manifest)
                raise
    except FileNotFoundError:
        raise CorruptBackupError("Manifest.db is missing from the backup folder.") from None
    except OSError as error:
        raise CorruptBackupError(f"Manifest.db can't be read ({error.strerror}).") from error
    return manifest


def _allocated(fingerprint: str, size: int) -> ManifestBytes:
    ram = ram_file(size)
    if ram is not None and ram.file is not None:
        return ManifestBytes(fingerprint, mmap.mmap(ram.file.fileno(), size), ram)
    data = mmap.mmap(-1, size)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        data.madvise(mmap.MADV_HUGEPAGE)  # fewer page faults, where the kernel has huge pages to spare
    return ManifestBytes(fingerprint, data)


def plaintext_of(manifest: ManifestBytes, key: bytes | None) -> memoryview:
    """The plaintext, decrypted in place when `key` is given (the padding checked and left out); release
    the view before `discard`. Raises `CorruptBackupError` when the ciphertext is truncated or badly
    padded."""
    size = manifest.size
    if key is None:
        return memoryview(manifest.data)[:size]
    if size == 0 or size % BLOCK_SIZE:
        raise CorruptBackupError("Manifest.db is truncated: its size is not a whole number of AES blocks.")
    manifest.decrypted = True
    with memoryview(manifest.data) as view:
        _decrypt_in_place(view, size, key)
        padding = padding_length(view[size - BLOCK_SIZE : size])
    if padding is None:
        raise CorruptBackupError("Manifest.db does not decrypt: its padding is invalid.")
    return memoryview(manifest.data)[: size - padding]


def discard(manifest: ManifestBytes) -> None:
    """Gives the memory back; idempotent. An anonymous mapping holding plaintext is overwritten with zeros
    first (at memset speed: a slice assignment would first allocate as many); a RAM file's pages are freed
    with its last descriptor."""
    with manifest.discarding:  # the load's wiping thread and an unlock that did not use it may race
        data = manifest.data
        if not data.closed:
            if manifest.ram is None and manifest.decrypted:
                buffer = (ctypes.c_char * len(data)).from_buffer(data)
                ctypes.memset(buffer, 0, len(data))
                del buffer
            data.close()
        if manifest.ram is not None:
            manifest.ram.close()


def take_ram_connection(manifest: ManifestBytes, length: int) -> sqlite3.Connection:
    """SQLite's connection to the RAM file, cut to the plaintext's `length`; our mapping and descriptor of
    it are closed (the manifest must have a RAM file)."""
    ram = manifest.ram
    if ram is None or ram.file is None or ram.connection is None:
        raise ValueError("this manifest is not in a RAM file, or its connection was taken")
    manifest.data.close()
    ram.file.truncate(length)
    ram.close_file()
    connection, ram.connection = ram.connection, None
    return connection


def _decrypt_in_place(view: memoryview, size: int, key: bytes) -> None:
    """CBC decrypts each block with the ciphertext block before it as IV, so the two halves are decrypted
    at once: the second starts from the last ciphertext block of the first, copied before it changes."""
    middle = (size // 2) // BLOCK_SIZE * BLOCK_SIZE if size >= _PARALLEL_FROM else 0
    if not middle:
        _decrypt_span(view, 0, size, key, ZERO_IV)
        return
    iv = bytes(view[middle - BLOCK_SIZE : middle])
    failures: list[BaseException] = []

    def first_half() -> None:
        try:
            _decrypt_span(view, 0, middle, key, ZERO_IV)
        except BaseException as error:
            failures.append(error)

    helper = threading.Thread(target=first_half, name="manifest-decrypt")
    helper.start()
    try:
        _decrypt_span(view, middle, size, key, iv)
    finally:
        helper.join()
    if failures:
        raise failures[0]


def _decrypt_span(view: memoryview, start: int, stop: int, key: bytes, iv: bytes) -> None:
    # Each chunk is copied aside and decrypted back into its place: the buffer is never read and written
    # through two views at once, and the plaintext costs no second buffer.
    context = decryptor(key, iv)
    with memoryview(bytearray(_CHUNK_SIZE)) as aside:
        for position in range(start, stop, _CHUNK_SIZE):
            count = min(_CHUNK_SIZE, stop - position)
            aside[:count] = view[position : position + count]
            written = context.update_into(aside[:count], view[position : position + count + BLOCK_SIZE])
            if written != count:  # CBC without padding writes what it reads: nothing spills past the span
                raise RuntimeError(f"AES-CBC wrote {written} bytes for {count}")
    context.finalize()
