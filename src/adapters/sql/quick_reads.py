"""Point reads of an SQLite catalog on a plain `sqlite3` connection, on the caller's thread.

Through SQLAlchemy's async engine a read costs about 0.8 ms of CPU (its pool, a transaction, aiosqlite's
hops to its thread and back), a thousand times what SQLite takes to find one row by its key. A read that
every request makes (a session's record) is made here instead: read-only, in autocommit (so each read sees
every commit made before it, by any process), never waiting for a lock (`timeout=0`). Whatever goes wrong is
`Unanswered`, and the caller asks the engine instead, which reports the failure as it always does.
"""

import sqlite3
import threading
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.sql.engine import sqlite_file


class Unanswered(Exception):
    """The quick read could not answer: ask the engine."""


class QuickReads:
    def __init__(self, path: str) -> None:
        self._uri = f"file:{quote(path)}?mode=ro"
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, engine: AsyncEngine) -> "QuickReads | None":
        """For an engine on an SQLite file; None for any other database."""
        path = sqlite_file(engine)
        return None if path is None else cls(str(path))

    def one(self, sql: str, parameters: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The first row of a read (a constant query with bound parameters), or None. Raises `Unanswered`."""
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = sqlite3.connect(
                        self._uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False
                    )
                row: tuple[Any, ...] | None = self._connection.execute(sql, parameters).fetchone()
                return row
            except sqlite3.Error as error:  # no file yet, no table yet, busy, damaged: the engine will tell
                if self._connection is not None:  # opened afresh by the next read
                    self._connection.close()
                    self._connection = None
                raise Unanswered from error
