"""Manifest.db, decrypted into memory (never onto disk) and queried from worker threads."""

import io
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from adapters.vault.cbc import BLOCK_SIZE, decryptor, padding_length
from adapters.vault.ended import session_ended
from adapters.vault.entries import FLAGS_OF_KIND, KIND_OF_FLAGS, FilesRow
from adapters.vault.reading import read_fully
from domain.errors import CorruptBackupError, InvalidQueryError
from domain.manifest import FilePage, FileQuery

MANIFEST_DB = "Manifest.db"
_CHUNK_SIZE = 1 << 20
_SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_WAL_VERSION = 2
_LEGACY_VERSION = 1

# Rows of another kind or with non-text keys are not entries: they are neither listed nor counted.
_LISTED = (
    f"flags IN ({', '.join(str(flags) for flags in KIND_OF_FLAGS)}) AND typeof(fileID) = 'text'"
    " AND typeof(domain) = 'text' AND typeof(relativePath) = 'text'"
)
_ORDER = "domain COLLATE BINARY, relativePath COLLATE BINARY, fileID COLLATE BINARY"
_COLUMNS = "fileID, domain, relativePath, flags, file"


class ManifestDatabase:
    """One in-memory copy of a backup's Manifest.db. Thread-safe: one connection, used under a lock."""

    def __init__(self, connection: sqlite3.Connection, domains: list[str]) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._lock = threading.Lock()
        self._domains = domains

    @property
    def domains(self) -> list[str]:
        """Distinct domains by code point, read once: the manifest never changes."""
        return list(self._domains)

    def files(self, query: FileQuery) -> FilePage:
        conditions, parameters = [_LISTED], list[object]()
        if query.domain is not None:
            conditions.append("domain = ?")
            parameters.append(query.domain)
        if query.path_like is not None:
            conditions.append("relativePath LIKE ?")
            parameters.append(query.path_like)
        if query.kind is not None:
            conditions.append("flags = ?")
            parameters.append(FLAGS_OF_KIND[query.kind])
        # Only constant SQL fragments are joined; every value is a bound parameter.
        where = " AND ".join(conditions)
        count_sql = f"SELECT count(*) FROM Files WHERE {where}"  # noqa: S608
        page_sql = f"SELECT {_COLUMNS} FROM Files WHERE {where} ORDER BY {_ORDER} LIMIT ? OFFSET ?"  # noqa: S608
        with self._lock:
            connection = self._open_connection()
            total = int(_run(connection, count_sql, parameters)[0][0])
            rows = _run(connection, page_sql, [*parameters, query.limit, query.offset])
        return FilePage([FilesRow(*row).entry() for row in rows], total, query.limit, query.offset)

    def row(self, file_id: str) -> FilesRow | None:
        with self._lock:
            rows = _run(
                self._open_connection(),
                f"SELECT {_COLUMNS} FROM Files WHERE fileID = ? AND {_LISTED} LIMIT 1",  # noqa: S608
                [file_id],
            )
        return FilesRow(*rows[0]) if rows else None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @property
    def temp_store(self) -> int:
        """SQLite's temp_store pragma: 2 (memory) so sorts and indexes never spill plaintext to disk."""
        with self._lock:
            return int(_run(self._open_connection(), "PRAGMA temp_store", [])[0][0])

    def _open_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise session_ended()
        return self._connection


def load_manifest(folder: Path, manifest_key: bytes | None) -> ManifestDatabase:
    """Reads (and with `manifest_key`, decrypts) Manifest.db into memory. Blocking: run it in a worker thread.
    Raises `CorruptBackupError` when it is missing, badly padded or not a usable SQLite database."""
    plaintext = _read(folder / MANIFEST_DB, manifest_key)
    try:
        return _deserialize(plaintext)
    finally:
        plaintext[:] = bytes(len(plaintext))


def manifest_fingerprint(folder: Path) -> str:
    """Changes when the backup is rewritten, so a new Manifest.db is loaded afresh."""
    try:
        stat = (folder / MANIFEST_DB).stat()
    except FileNotFoundError:
        raise CorruptBackupError("Manifest.db is missing from the backup folder.") from None
    except OSError as error:
        raise CorruptBackupError(f"Manifest.db can't be read ({error.strerror}).") from error
    return f"{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def _read(path: Path, manifest_key: bytes | None) -> bytearray:
    try:
        with path.open("rb", buffering=0) as file:
            size = os.fstat(file.fileno()).st_size
            return _decrypt(file, size, manifest_key) if manifest_key is not None else _read_plain(file, size)
    except FileNotFoundError:
        raise CorruptBackupError("Manifest.db is missing from the backup folder.") from None
    except OSError as error:
        raise CorruptBackupError(f"Manifest.db can't be read ({error.strerror}).") from error


def _read_plain(file: io.FileIO, size: int) -> bytearray:
    data = bytearray(size)
    if read_fully(file, memoryview(data)) != size:
        raise CorruptBackupError("Manifest.db changed while it was read.")
    return data


def _decrypt(file: io.FileIO, size: int, key: bytes) -> bytearray:
    if size == 0 or size % BLOCK_SIZE:
        raise CorruptBackupError("Manifest.db is truncated: its size is not a whole number of AES blocks.")
    plaintext = bytearray(size + BLOCK_SIZE)  # update_into wants a block of room beyond the data
    try:
        _decrypt_into(file, size, key, plaintext)
    except BaseException:
        plaintext[:] = bytes(len(plaintext))
        raise
    padding = padding_length(plaintext[size - BLOCK_SIZE : size])
    if padding is None:
        raise CorruptBackupError("Manifest.db does not decrypt: its padding is invalid.")
    del plaintext[size - padding :]
    return plaintext


def _decrypt_into(file: io.FileIO, size: int, key: bytes, plaintext: bytearray) -> None:
    context = decryptor(key)
    with memoryview(plaintext) as out, memoryview(bytearray(_CHUNK_SIZE)) as chunk:
        position = 0
        while position < size:
            wanted = min(_CHUNK_SIZE, size - position)
            if read_fully(file, chunk[:wanted]) != wanted:
                raise CorruptBackupError("Manifest.db changed while it was read.")
            position += context.update_into(chunk[:wanted], out[position:])
    context.finalize()


def _deserialize(plaintext: bytearray) -> ManifestDatabase:
    if len(plaintext) < _HEADER_SIZE or plaintext[: len(_SQLITE_HEADER)] != _SQLITE_HEADER:
        raise CorruptBackupError("Manifest.db is not an SQLite database.")
    if plaintext[18] == _WAL_VERSION:
        # An in-memory database can't be in WAL mode; read it as a rollback-journal one.
        plaintext[18] = plaintext[19] = _LEGACY_VERSION
    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    try:
        connection.deserialize(plaintext)
        connection.execute("PRAGMA temp_store = MEMORY")  # sorts and indexes never spill to temporary files
        _check_files_table(connection)
        connection.execute(f"CREATE INDEX IF NOT EXISTS ios_backup_api_order ON Files({_ORDER})")
        connection.execute("PRAGMA query_only = ON")
        domains = [
            domain
            for (domain,) in connection.execute(
                f"SELECT DISTINCT domain FROM Files WHERE {_LISTED} ORDER BY domain COLLATE BINARY"  # noqa: S608
            )
        ]
    except sqlite3.Error as error:
        connection.close()
        raise CorruptBackupError(f"Manifest.db is damaged ({error}).") from error
    except BaseException:
        connection.close()
        raise
    return ManifestDatabase(connection, domains)


def _check_files_table(connection: sqlite3.Connection) -> None:
    kind = connection.execute("SELECT type FROM sqlite_master WHERE name = 'Files'").fetchone()
    if kind is None or kind[0] != "table":
        raise CorruptBackupError("Manifest.db has no Files table.")
    connection.execute(f"SELECT {_COLUMNS} FROM Files LIMIT 0")  # noqa: S608 - constant SQL


def _run(connection: sqlite3.Connection, sql: str, parameters: list[object]) -> list[Any]:
    try:
        return connection.execute(sql, parameters).fetchall()
    except sqlite3.OperationalError as error:
        if "pattern too complex" in str(error):
            raise InvalidQueryError("path_like is too long.") from error
        raise CorruptBackupError(f"Manifest.db is damaged ({error}).") from error
    except sqlite3.Error as error:
        raise CorruptBackupError(f"Manifest.db is damaged ({error}).") from error
