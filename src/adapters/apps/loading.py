"""An app database's plaintext (and its `-wal`'s) made into a read-only SQLite copy in memory: SQLite's own
(`deserialize` copies it), or a nameless RAM file SQLite reads in place (see `ram_file`: one copy)."""

import ctypes
import mmap
import sqlite3

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.wal import WalMismatchError, apply
from ios_backup_api.adapters.sql.ram_file import RamFile
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.views.pages import EntryRef

_MAGIC = b"SQLite format 3\x00"


def loaded_database(
    source: EntryRef, main: bytearray, wal: bytearray | None, read_seconds: float = 30.0
) -> SqliteAppDatabase:
    """`main` with the committed frames of `wal` (applied in place), held by SQLite alone: both inputs are
    zeroed before this returns or raises. Raises `ViewUnreadableError` for what is not an SQLite database."""
    name = source.relative_path
    try:
        _applied(name, main, wal)
        return SqliteAppDatabase(source, _deserialized(main, name), len(main), read_seconds)
    finally:
        zeroed(main)
        if wal is not None:
            zeroed(wal)


def loaded_ram_database(
    source: EntryRef, ram: RamFile, main: mmap.mmap, wal: bytearray | None, read_seconds: float = 30.0
) -> SqliteAppDatabase:
    """As `loaded_database`, `main` a mapping of the whole of `ram`'s file: SQLite then reads the file in
    place. The mapping and our descriptor are closed before this returns; the file (freed with SQLite's
    connection) before this raises. `wal` is zeroed."""
    name = source.relative_path
    try:
        _applied(name, main, wal)
        length = len(main)
        main.close()
        ram.close_file()
        connection, ram.connection = ram.connection, None
        if connection is None:
            raise ValueError("this RAM file's connection was taken")
        # SQLite reads the RAM file's pages through a mapping of its own too: no copy into its cache.
        return SqliteAppDatabase(source, _opened(connection, name, length), length, read_seconds)
    finally:
        main.close()
        ram.close()
        if wal is not None:
            zeroed(wal)


def _applied(name: str, main: bytearray | mmap.mmap, wal: bytearray | None) -> None:
    try:
        # Without its -wal, a database a phone left in WAL mode opens only marked as a legacy one.
        apply(main, b"" if wal is None else wal)
    except WalMismatchError as error:
        raise ViewUnreadableError(f"{name}-wal does not belong to {name} ({error}).") from None
    if main[:16] != _MAGIC:
        raise ViewUnreadableError(f"{name} is not an SQLite database.")


def _deserialized(data: bytearray, name: str) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    try:
        connection.deserialize(data)
    except sqlite3.Error as error:
        connection.close()
        raise ViewUnreadableError(f"{name} is damaged ({error}).") from None
    return _opened(connection, name)


def _opened(connection: sqlite3.Connection, name: str, mapped: int = 0) -> sqlite3.Connection:
    """`connection` made read-only and checked to read a database; closed when it does not."""
    try:
        connection.execute(f"PRAGMA mmap_size = {int(mapped)}")
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA temp_store = MEMORY")  # sorts never spill to a temporary file
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        connection.close()
        raise ViewUnreadableError(f"{name} is damaged ({error}).") from None
    return connection


def zeroed(data: bytearray) -> None:
    """Overwrites plaintext at memset speed (a slice assignment would first allocate as many bytes)."""
    if data:
        buffer = (ctypes.c_char * len(data)).from_buffer(data)
        ctypes.memset(buffer, 0, len(data))
        del buffer
