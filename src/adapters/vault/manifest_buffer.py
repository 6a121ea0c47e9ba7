"""Manifest.db's bytes in memory, owned by one object from the read to the wipe.

The bytes are read (possibly while the passphrase's key is still being derived), decrypted in place, checked
to be an SQLite database and handed to SQLite. The memory is a nameless RAM file that SQLite then reads in
place (see ram_file), or an anonymous mapping that SQLite copies with `deserialize` and that is wiped after.
"""

import ctypes
import logging
import mmap
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from ios_backup_api.adapters.backup_folder.opening import open_regular
from ios_backup_api.adapters.sql.ram_file import RamFile, RamFiles
from ios_backup_api.adapters.vault.cbc import BLOCK_SIZE, padding_length
from ios_backup_api.adapters.vault.in_place import decrypt_in_place
from ios_backup_api.adapters.vault.reading import read_fully
from ios_backup_api.domain.errors import CorruptBackupError

_SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_WAL_VERSION = 2
_LEGACY_VERSION = 1
_TOLERATED = (
    "Manifest.db of backup %r decrypts with invalid padding (rewritten by an editing tool?); its plaintext "
    "is a sound SQLite database of %d bytes, so it is opened as it is."
)

READERS = 4
"""Read-only connections of a manifest held in a RAM file, on which its queries run side by side."""

logger = logging.getLogger("ios_backup_api")


def file_fingerprint(path: Path) -> str:
    """Changes when the file is rewritten, so a new Manifest.db is loaded afresh. A link is not followed."""
    return file_fingerprint_and_size(path)[0]


def file_fingerprint_and_size(path: Path) -> tuple[str, int]:
    """`file_fingerprint` and the file's size, from one look at it."""
    try:
        status = os.lstat(path)
        return _fingerprint(status), status.st_size
    except FileNotFoundError:
        raise CorruptBackupError(f"{path.name} is missing from the backup folder.") from None
    except OSError as error:
        raise CorruptBackupError(f"{path.name} can't be read ({error.strerror}).") from error


def _fingerprint(status: os.stat_result) -> str:
    return f"{status.st_dev}:{status.st_ino}:{status.st_size}:{status.st_mtime_ns}"


class ManifestBuffer:
    """The file's bytes, then one spare block (decrypting into a buffer wants a block of room).

    `data` is a mapping (of the RAM file, or anonymous): its pages are zeroed by the kernel as they are
    first written, while bytearray(n) would write n zeros first, holding the GIL (a third of a second for
    300 MB). `wipe()` gives the memory back, overwriting plaintext first; it is idempotent and thread-safe.
    """

    def __init__(self, fingerprint: str, data: mmap.mmap, ram: RamFile | None) -> None:
        self.fingerprint = fingerprint
        self._data = data
        self._ram = ram
        self._decrypted = False
        self._handed_over = False
        self._tolerated = False
        self.source = ""
        """The backup folder's name, for the log."""
        self._wiping = threading.Lock()

    @classmethod
    def read(
        cls, path: Path, ram_files: RamFiles | None, stop: threading.Event | None = None
    ) -> "ManifestBuffer":
        """Blocking. Raises `CorruptBackupError` when the file is missing or can't be read whole, and
        `ReadStopped` once `stop` is set (looked at between pieces of the file): what was read is freed."""
        try:
            with open_regular(path.parent, path.name) as file:
                status = os.fstat(file.fileno())
                buffer = cls._allocated(_fingerprint(status), status.st_size + BLOCK_SIZE, ram_files)
                try:
                    # Both views are released before a failure's wipe: an exported buffer can't be closed.
                    with memoryview(buffer._data) as view, view[: status.st_size] as wanted:
                        if read_fully(file, wanted, stop) != status.st_size:
                            raise CorruptBackupError(f"{path.name} changed while it was read.")
                except BaseException:
                    buffer._wipe()
                    raise
                buffer.source = path.parent.name
        except FileNotFoundError:
            raise CorruptBackupError(f"{path.name} is missing from the backup folder.") from None
        except OSError as error:
            raise CorruptBackupError(f"{path.name} can't be read ({error.strerror}).") from error
        return buffer

    @classmethod
    def _allocated(cls, fingerprint: str, size: int, ram_files: RamFiles | None) -> "ManifestBuffer":
        ram = None if ram_files is None else ram_files.allocate(size, READERS)
        if ram is not None and ram.file is not None:
            return cls(fingerprint, mmap.mmap(ram.file.fileno(), size), ram)
        data = mmap.mmap(-1, size)  # no RAM file wanted, or none could be made or filled
        if hasattr(mmap, "MADV_HUGEPAGE"):
            data.madvise(mmap.MADV_HUGEPAGE)  # fewer page faults, where the kernel has huge pages to spare
        return cls(fingerprint, data, None)

    def is_current(self, fingerprint: str) -> bool:
        """Whether it still holds the bytes of the file's version `fingerprint` (not wiped, not used)."""
        return not self._data.closed and self.fingerprint == fingerprint

    def open_database(self, key: bytes | None, parallel_from: int) -> tuple[sqlite3.Connection, int]:
        """Decrypts (with `key`), checks and hands the plaintext to SQLite: a connection to it, and its
        length. The buffer is spent afterwards (and wiped, or being wiped in a thread of its own, after the
        unlock has answered). Raises `CorruptBackupError` for a truncated, badly padded or non-SQLite file."""
        self._handed_over = True
        try:
            with self._plaintext(key, parallel_from) as plaintext:
                _check_header(plaintext)
                length = len(plaintext)
                if self._ram is None:
                    connection = _deserialized(plaintext)
            if self._ram is not None:
                connection = self._take_ram_connection(length)
            if self._tolerated:
                _check_sound(connection)
                logger.warning(_TOLERATED, self.source, length)
            if self._ram is not None:
                return connection, length
        except BaseException:
            self._wipe()
            raise
        # SQLite holds its own copy: this one is wiped and unmapped after the unlock has answered.
        threading.Thread(target=self._wipe, name="manifest-wipe", daemon=True).start()
        return connection, length

    def take_readers(self) -> list[sqlite3.Connection]:
        """After `open_database`: the read-only connections to its RAM file, now the caller's (none for a
        database in SQLite's own memory)."""
        if self._ram is None:
            return []
        readers, self._ram.readers = self._ram.readers, []
        return readers

    def open_records(
        self, load: Callable[[memoryview], sqlite3.Connection]
    ) -> tuple[sqlite3.Connection, int]:
        """The database `load` makes of the file's bytes as they are (a manifest that is neither encrypted
        nor SQLite: Manifest.mbdb), and their length. `load` keeps no reference to them; the buffer is
        wiped afterwards."""
        self._handed_over = True
        try:
            with memoryview(self._data) as view, view[: len(view) - BLOCK_SIZE] as data:
                return load(data), len(data)
        finally:
            self._wipe()

    def write_plaintext(
        self, key: bytes | None, parallel_from: int, target: int, *, sqlite: bool = True
    ) -> int:
        """Writes the plaintext (decrypted with `key`, by the same steps `open_database` takes, its bytes left
        as they are) to the descriptor `target`, and wipes the buffer: the decrypted copy a user asked for.
        Its length. Raises `CorruptBackupError` as `open_database` does (`sqlite=False`: the bytes are no
        SQLite database, a Manifest.mbdb, and are not checked to be one)."""
        self._handed_over = True
        try:
            with self._plaintext(key, parallel_from) as plaintext:
                if sqlite and (
                    len(plaintext) < _HEADER_SIZE or plaintext[: len(_SQLITE_HEADER)] != _SQLITE_HEADER
                ):
                    raise CorruptBackupError("Manifest.db is not an SQLite database.")
                written = 0
                while written < len(plaintext):
                    written += os.write(target, plaintext[written:])
                return written
        finally:
            self._wipe()

    def wipe(self) -> None:
        """Gives the memory back unless `open_database` has it in hand already (then this returns at once)."""
        if not self._handed_over:
            self._wipe()

    def _wipe(self) -> None:
        """An anonymous mapping holding plaintext is overwritten with zeros first (at memset speed: a slice
        assignment would first allocate as many); a RAM file's pages are freed with its last descriptor."""
        with self._wiping:  # the wiping thread and an unlock that did not use the buffer may race
            data = self._data
            if not data.closed:
                if self._ram is None and self._decrypted:
                    buffer = (ctypes.c_char * len(data)).from_buffer(data)
                    ctypes.memset(buffer, 0, len(data))
                    del buffer
                data.close()
            if self._ram is not None:
                self._ram.close()

    def _plaintext(self, key: bytes | None, parallel_from: int) -> memoryview:
        """Release the view before `wipe`."""
        size = len(self._data) - BLOCK_SIZE
        if key is None:
            return memoryview(self._data)[:size]
        if size == 0 or size % BLOCK_SIZE:
            raise CorruptBackupError(
                "Manifest.db is truncated: its size is not a whole number of AES blocks."
            )
        self._decrypted = True
        with memoryview(self._data) as view:
            decrypt_in_place(view, size, key, parallel_from)
            padding = padding_length(view[size - BLOCK_SIZE : size])
        if padding is None:
            return self._without_padding(size)
        return memoryview(self._data)[: size - padding]

    def _without_padding(self, size: int) -> memoryview:
        """Padding that is not valid is tolerated when what it pads is an SQLite database: its header says
        how long it is (its pages), and `open_database` checks it is sound before it is used."""
        view = memoryview(self._data)
        length = _database_length(view, size)
        if length is None:
            view.release()
            raise CorruptBackupError("Manifest.db does not decrypt: its padding is invalid.")
        self._tolerated = True
        with view:
            return view[:length]

    def _take_ram_connection(self, length: int) -> sqlite3.Connection:
        """SQLite's connection to the RAM file, cut to the plaintext's `length`; our mapping and descriptor
        of it are closed."""
        ram = self._ram
        if ram is None or ram.file is None or ram.connection is None:
            raise ValueError("this manifest is not in a RAM file, or its connection was taken")
        self._data.close()
        ram.file.truncate(length)
        ram.close_file()
        connection, ram.connection = ram.connection, None
        return connection


def _database_length(plaintext: memoryview, size: int) -> int | None:
    """The length an SQLite database's header gives it (page size times page count), when `plaintext`
    begins with one whose length fits in `size`; else None."""
    if size < _HEADER_SIZE or plaintext[: len(_SQLITE_HEADER)] != _SQLITE_HEADER:
        return None
    page_size = int.from_bytes(plaintext[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(plaintext[28:32], "big")
    # The page count is kept only while the "version valid for" number matches the change counter.
    if plaintext[92:96] != plaintext[24:28] or pages == 0:
        pages = size // page_size if page_size else 0
    length = page_size * pages
    return length if 0 < length <= size and page_size >= 512 and page_size & (page_size - 1) == 0 else None


def _check_sound(connection: sqlite3.Connection) -> None:
    try:
        sound = connection.execute("PRAGMA quick_check(1)").fetchone() == ("ok",)
    except sqlite3.DatabaseError:
        sound = False
    if not sound:
        connection.close()
        raise CorruptBackupError(
            "Manifest.db does not decrypt: its padding is invalid, and what it pads is no sound database."
        )


def _check_header(plaintext: memoryview) -> None:
    if len(plaintext) < _HEADER_SIZE or plaintext[: len(_SQLITE_HEADER)] != _SQLITE_HEADER:
        raise CorruptBackupError("Manifest.db is not an SQLite database.")
    if plaintext[18] == _WAL_VERSION:
        # Our copy has no WAL file beside it; read it as a rollback-journal database.
        plaintext[18] = plaintext[19] = _LEGACY_VERSION


def _deserialized(plaintext: memoryview) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    try:
        connection.deserialize(plaintext)
    except sqlite3.Error as error:
        connection.close()
        raise CorruptBackupError(f"Manifest.db is damaged ({error}).") from error
    return connection
