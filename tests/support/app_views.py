"""Helpers of the app reader tests: a page as the oracles answer, a database rewritten as another phone's
schema would have it, and every reader's pages held to the oracle's."""

import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.views.pages import EntryRef, ViewPage, ViewQuery
from tests.support.app_databases import in_memory as loaded

PAGES = ((1000, 0), (2, 0), (2, 3), (7, 7), (7, 28), (7, 35), (7, 100))
"""(limit, offset): the whole, the first pages, pages across the top-3 boundary, the last, past the end."""


def answer(page: ViewPage[Any]) -> dict[str, Any]:
    return {"items": [asdict(item) for item in page.items], "total": page.total}


def rewritten(main: bytes, wal: bytes | None, *statements: str) -> bytes:
    """The database with its WAL checkpointed and `statements` run on it (e.g. columns dropped)."""
    folder = Path(tempfile.mkdtemp(prefix="reader-test-"))
    try:
        (folder / "db").write_bytes(main)
        if wal is not None:
            (folder / "db-wal").write_bytes(wal)
        connection = sqlite3.connect(folder / "db", isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = DELETE")
            for statement in statements:
                connection.execute(statement)
        finally:
            connection.close()
        return (folder / "db").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def agree(
    readers: Sequence[Any],
    view: str,
    expected: Callable[..., dict[str, Any]],
    source: EntryRef,
    main: bytes,
    wal: bytes | None,
    **case: Any,
) -> None:
    """Each reader's pages of `view` under `case` (a fresh database each) are `expected`'s, page by page."""
    databases = [(reader, loaded(source, main, wal)) for reader in readers]
    for limit, offset in PAGES:
        wanted = expected(main, wal, limit=limit, offset=offset, **case)
        for reader, database in databases:
            page = await getattr(reader, view)(database, ViewQuery(limit=limit, offset=offset, **case))
            assert answer(page) == wanted, (view, case, limit, offset)


async def assert_unreadable(reader: Any, view: str, source: EntryRef, data: bytes, named: str) -> None:
    """`view` of the database `data` raises ViewUnreadableError, its sentence naming `named`."""
    with pytest.raises(ViewUnreadableError, match=named):
        await getattr(reader, view)(loaded(source, data, None), ViewQuery())


def sqlite3_cli(main: bytes, wal: bytes | None, *commands: str) -> list[str]:
    """What the sqlite3 command (an outside reader, applying the WAL itself) prints for `commands`."""
    folder = Path(tempfile.mkdtemp(prefix="cli-"))
    try:
        (folder / "db").write_bytes(main)
        if wal is not None:
            (folder / "db-wal").write_bytes(wal)
        run = ["/usr/bin/sqlite3", "-readonly", str(folder / "db"), *commands]
        return subprocess.run(run, capture_output=True, text=True, check=True).stdout.split()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
