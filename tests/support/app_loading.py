"""App databases as the readers get them in tests: the generated main file with its `-wal`'s committed frames
applied, in memory, read-only.

Mirrors the coordinator's `adapters.apps.loading.loaded_database` (same arguments) until it is on main."""

import sqlite3

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.wal import applied
from ios_backup_api.domain.views.pages import EntryRef


def loaded(source: EntryRef, main: bytes, wal: bytes | None) -> SqliteAppDatabase:
    data = main if wal is None else bytes(applied(main, wal))
    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    connection.deserialize(data)
    connection.execute("PRAGMA query_only = ON")
    return SqliteAppDatabase(source, connection, len(data))
