"""What the app reader tests share: the generated databases of each iOS version with and without a `-wal`, a
page as the oracles answer, a database edited (another phone's schema, odd values) and read by the sqlite3
shell (the outside reader), and every reader's pages held to the oracle's."""

import sqlite3
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ios_backup_api.adapters.apps.loading import loaded_database
from ios_backup_api.adapters.apps.wal import applied
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry, SyntheticFile
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.pages import EntryRef, ViewPage, ViewQuery
from tests.support.app_databases import files_by_path
from tests.support.app_databases import in_memory as loaded

SQLITE_SHELL = "/usr/bin/sqlite3"
PAGES = ((1000, 0), (2, 0), (2, 3), (7, 7), (7, 28), (7, 35), (7, 100))
"""(limit, offset): the whole, the first pages, pages across the top-3 boundary, the last, past the end."""


def answer(page: ViewPage[Any]) -> dict[str, Any]:
    """The page as the oracles give it: every record as `asdict` makes it, and the count of matches."""
    return {"items": [asdict(item) for item in page.items], "total": page.total}


def edited(main: bytes, wal: bytes | None, *statements: str) -> bytes:
    """The database (its WAL applied) after `statements` (a column dropped, odd values written), as one main
    file without a WAL."""
    with tempfile.TemporaryDirectory(prefix="edited-") as folder:
        path = Path(folder) / "app.sqlite"
        path.write_bytes(main)
        if wal is not None:
            path.with_name("app.sqlite-wal").write_bytes(wal)
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            for statement in statements:
                connection.execute(statement)
            connection.execute("PRAGMA journal_mode = DELETE")
        finally:
            connection.close()
        return path.read_bytes()


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


def _shell(main: bytes, wal: bytes | None, *commands: str) -> str:
    """What the sqlite3 command-line shell (the outside reader, applying the WAL itself) prints."""
    with tempfile.TemporaryDirectory(prefix="shell-") as folder:
        path = Path(folder) / "app.sqlite"
        path.write_bytes(main)
        if wal is not None:
            path.with_name("app.sqlite-wal").write_bytes(wal)
        run = [SQLITE_SHELL, "-readonly", "-batch", str(path), *commands]
        return subprocess.run(run, capture_output=True, text=True, check=True, timeout=30).stdout


def sqlite3_cli(main: bytes, wal: bytes | None, *commands: str) -> list[str]:
    """The words the shell prints for `commands`."""
    return _shell(main, wal, *commands).split()


def shell_rows(main: bytes, wal: bytes | None, sql: str) -> list[list[str]]:
    """What the shell prints for `sql`, one list per row (`|` between values)."""
    return [line.split("|") for line in _shell(main, wal, sql).splitlines()]


def assert_seeded(entries: Callable[[int], Iterable[object]], database: str) -> None:
    """`entries(seed)` writes the same rows and files for the same seed, others for another; the `-wal`'s
    random salts (SQLite's own) aside, so the WAL is compared applied to `database`."""

    def files(seed: int) -> dict[str, bytes]:
        found = {e.relative_path: e.read_bytes() for e in entries(seed) if isinstance(e, SyntheticFile)}
        wal = found.pop(database + "-wal")
        found[database] = bytes(applied(found[database], wal))
        return found

    assert files(3) == files(3)
    assert files(3) != files(4)


T = TypeVar("T")
Files = tuple[bytes, bytes | None]
View = Callable[[AppDatabase, ViewQuery], Awaitable[ViewPage[T]]]
IOS_VERSIONS = (14, 15, 16, 17, 18)
CASES = [(ios, wal) for ios in IOS_VERSIONS for wal in (False, True)]


def case_id(case: tuple[int, bool]) -> str:
    return f"ios{case[0]}-{'wal' if case[1] else 'nowal'}"


def generated(
    entries: Callable[..., list[SyntheticEntry]], path: str, ios: int, wal: bool, seed: int
) -> Files:
    files = files_by_path(entries(ios, wal=wal, seed=seed))
    return files[path], files.get(f"{path}-wal")


async def read_view(source: EntryRef, view: View[T], files: Files, **query: Any) -> ViewPage[T]:
    """The page `view` answers for `query` on the database as the service's loader hands it over (its WAL
    applied by the loader, read-only, in memory)."""
    main, wal = files
    database = loaded_database(source, bytearray(main), None if wal is None else bytearray(wal))
    try:
        return await view(database, ViewQuery(**query))
    finally:
        database.close()


async def check_paging(
    read: Callable[..., Awaitable[ViewPage[Any]]],
    oracle: Callable[..., dict[str, Any]],
    files: Files,
    size: int,
) -> None:
    """Every page of `size`, and one past the end, is the oracle's slice of the same order."""
    total = (await read(files, limit=1)).total
    for offset in [*range(0, total + size, size), total + 100]:
        page = await read(files, limit=size, offset=offset)
        assert (page.limit, page.offset) == (size, offset)
        assert answer(page) == oracle(*files, limit=size, offset=offset)
