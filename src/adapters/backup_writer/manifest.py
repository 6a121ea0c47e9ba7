"""Manifest.db: the SQLite index of every file, directory and symlink in a backup."""

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

FLAG_FILE = 1
FLAG_DIRECTORY = 2
FLAG_SYMLINK = 4

# The schema of real iOS 14 backups; the indexes are created after the rows, which is faster.
_TABLES = (
    "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)",
    "CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)",
)
_INDEXES = (
    "CREATE INDEX FilesDomainIdx ON Files(domain)",
    "CREATE INDEX FilesRelativePathIdx ON Files(relativePath)",
    "CREATE INDEX FilesFlagsIdx ON Files(flags)",
)


class ManifestRow(NamedTuple):
    file_id: str
    domain: str
    relative_path: str
    flags: int
    file: bytes


def write_manifest_db(path: Path, rows: Iterable[ManifestRow]) -> None:
    """Writes a plain SQLite file at `path` (which must not exist). Its size is a whole number of pages,
    which the encryption of Manifest.db relies on."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        for statement in _TABLES:
            connection.execute(statement)
        connection.executemany("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", rows)
        for statement in _INDEXES:
            connection.execute(statement)
        connection.execute("COMMIT")
