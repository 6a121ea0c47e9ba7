import os
import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5.0
POSTGRES_COMMAND_TIMEOUT_SECONDS = 30.0

_BEGIN_IMMEDIATE = "catalog_sqlite_begin_immediate"


def create_catalog_engine(url: str) -> AsyncEngine:
    """An engine for an `sqlite+aiosqlite://` or `postgresql+asyncpg://` URL (the settings allow no other);
    nothing connects until it is first used."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        return _sqlite_engine(parsed)
    if parsed.drivername == "postgresql+asyncpg":
        return _postgres_engine(parsed)
    raise ValueError(f"The catalog database URL must be sqlite+aiosqlite or postgresql+asyncpg, not {url!r}.")


def upsert_of(engine: AsyncEngine) -> Any:
    """The dialect's `insert` (PostgreSQL's or SQLite's), which has `on_conflict_do_update`."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise ValueError(f"The catalog database must be SQLite or PostgreSQL, not {dialect!r}.")


def for_writing(engine: AsyncEngine) -> AsyncEngine:
    """The same engine whose transactions take SQLite's write lock as they begin.

    A deferred SQLite transaction that reads and then writes fails at once with "database is locked"
    when another writer got in between; an immediate one waits for the busy timeout instead.
    PostgreSQL ignores the option.
    """
    return engine.execution_options(**{_BEGIN_IMMEDIATE: True})


def _postgres_engine(url: URL) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            "command_timeout": POSTGRES_COMMAND_TIMEOUT_SECONDS,
            "server_settings": {"application_name": "ios-backup-api"},
        },
    )


def _sqlite_engine(url: URL) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    database = _database_file(url)
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "do_connect")
    def make_private_file(dialect: Any, connection_record: Any, cargs: Any, cparams: Any) -> None:
        # On each connect rather than once: a folder that can't be made yet (an unmounted volume) is
        # reported as an unavailable catalog, and works once it can be.
        if database is not None:
            _create_private(database)

    @event.listens_for(sync_engine, "connect")
    def configure(dbapi_connection: Any, connection_record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below): the sqlite3 module would skip it before DDL and SELECT,
        # which would leave migrations and reads outside a transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0] != "wal":
            # The switch needs the file to itself and fails at once when another connection is busy (often
            # switching it too): carry on in the current mode then; the file keeps WAL once it is set.
            with suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def sqlite_file(engine: AsyncEngine) -> Path | None:
    """The file of an engine on an SQLite file; None for another database, or one in memory."""
    url = engine.url
    return _database_file(url) if url.drivername == "sqlite+aiosqlite" else None


def _database_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _create_private(database: Path) -> None:
    """The folders and the file the catalog needs, where missing, readable by their owner only whatever the
    umask (0700 and 0600; SQLite gives its -wal and -shm files the database file's mode)."""
    missing = []
    folder = database.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        with suppress(FileExistsError):
            created.mkdir()
            os.chmod(created, 0o700)
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except FileExistsError:
        return  # an existing catalog keeps the mode its owner gave it
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
