"""App databases for reader tests: a generated main file and `-wal` as the readers get them (in memory, the
WAL's commits applied), and the generated entries by path."""

import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry, SyntheticFile
from ios_backup_api.domain.views.pages import EntryRef


def files_by_path(entries: Sequence[SyntheticEntry]) -> dict[str, bytes]:
    return {entry.relative_path: entry.read_bytes() for entry in entries if isinstance(entry, SyntheticFile)}


def in_memory(source: EntryRef, main: bytes, wal: bytes | None = None) -> SqliteAppDatabase:
    """What the coordinator's loader hands a reader. The WAL is applied by SQLite itself, on copies in a
    temporary folder of the test's (generated test data, never a backup's plaintext)."""
    if wal is not None:
        folder = Path(tempfile.mkdtemp(prefix="reader-test-"))
        try:
            (folder / "db").write_bytes(main)
            (folder / "db-wal").write_bytes(wal)
            with_wal = sqlite3.connect(folder / "db")
            try:
                main = with_wal.serialize()
            finally:
                with_wal.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if len(main) >= 20:
        main = (
            main[:18] + b"\x01\x01" + main[20:]
        )  # a WAL-mode header: memory holds no WAL, read it as legacy
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    connection.deserialize(main)
    return SqliteAppDatabase(source, connection, len(main))
