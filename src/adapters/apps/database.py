"""An app's database held in memory by SQLite, read from worker threads by the app readers."""

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.pages import EntryRef

T = TypeVar("T")
_KEPT_RESULTS = 64
"""Results kept per database (a filter's ordered ids): later pages of a filter cost a slice."""


class SqliteAppDatabase:
    """One read-only in-memory copy of an app database. Thread-safe: one connection, used under a lock.

    `size` is the bytes SQLite holds for it (what the bound on the copies counts).
    """

    def __init__(
        self, source: EntryRef, connection: sqlite3.Connection, size: int, read_seconds: float = 30.0
    ) -> None:
        self._source = source
        self._read_seconds = read_seconds
        self._connection: sqlite3.Connection | None = connection
        self.size = size
        self._lock = threading.Lock()
        self._kept: dict[Hashable, Any] = {}
        self._columns: dict[str, frozenset[str]] = {}

    @property
    def source(self) -> EntryRef:
        return self._source

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` in a worker thread, alone on the connection. An `sqlite3.Error` it lets out
        becomes `ViewUnreadableError` (a database damaged where the query reached)."""
        return await asyncio.to_thread(self._read, work)

    def kept(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`'s result, computed once per `key` (call it inside `read`'s work): the database never
        changes, so a filter's ordered matches are found once and paged by slicing."""
        if key in self._kept:
            value: T = self._kept[key]
            return value
        value = compute()
        if len(self._kept) >= _KEPT_RESULTS:
            self._kept.pop(next(iter(self._kept)))
        self._kept[key] = value
        return value

    def columns(self, connection: sqlite3.Connection, table: str) -> frozenset[str]:
        """The column names of `table`, upper case; empty when there is no such table (call in `read`)."""
        known = self._columns.get(table)
        if known is None:
            kind = connection.execute("SELECT type FROM sqlite_master WHERE name = ?", (table,)).fetchone()
            # A view of that name is not the app's table (and could cost anything to read): none is there.
            is_table = kind is not None and kind[0] == "table"
            sql = "SELECT name FROM pragma_table_info(?)"
            rows = connection.execute(sql, (table,)).fetchall() if is_table else []
            known = self._columns[table] = frozenset(str(name).upper() for (name,) in rows)
        return known

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self._kept.clear()

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        name = self._source.relative_path
        with self._lock:
            connection = self._connection
            if connection is None:
                raise ViewUnreadableError(f"{name} was closed while being read.")
            # A crafted database can make any query cost any time: SQLite stops it at the deadline.
            deadline = time.monotonic() + self._read_seconds
            connection.set_progress_handler(lambda: time.monotonic() > deadline, 100_000)
            try:
                return work(connection)
            except sqlite3.OperationalError as error:
                if str(error) == "interrupted":
                    raise ViewUnreadableError(
                        f"{name} took over {self._read_seconds:g} s to answer, more than a real one could."
                    ) from None
                raise ViewUnreadableError(f"{name} is damaged ({error}).") from None
            except sqlite3.Error as error:
                raise ViewUnreadableError(f"{name} is damaged ({error}).") from None
            finally:
                connection.set_progress_handler(None, 0)


def sqlite_database(database: AppDatabase) -> SqliteAppDatabase:
    """The SQLite copy an app reader of this package reads (the databases port of this package made it)."""
    if not isinstance(database, SqliteAppDatabase):
        raise TypeError(f"an SQLite app reader was handed a {type(database).__name__}")
    return database
