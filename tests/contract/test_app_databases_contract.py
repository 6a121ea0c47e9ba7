"""One contract for the AppDatabases port, run against the SQLite adapter and the in-memory fake, over a
vault holding an app database, a file that is no database, and an app database whose payload is missing."""

import asyncio
import errno
import io
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ios_backup_api.adapters.apps.database import sqlite_database
from ios_backup_api.adapters.apps.databases import SqliteAppDatabases
from ios_backup_api.adapters.backup_writer.apps.sqlite_files import database_files
from ios_backup_api.adapters.backup_writer.samples import rich_backup
from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.adapters.sql.ram_file import RamFile, RamFiles
from ios_backup_api.domain.errors import ViewNotFoundError, ViewUnreadableError
from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.ports.views import AppDatabase, AppDatabases
from ios_backup_api.domain.views.pages import EntryRef
from tests.fakes.app_databases import InMemoryAppDatabase, InMemoryAppDatabases
from tests.support.vault_cases import fake_vault

BACKUP = "with-apps"
APP = EntryRef("AppDomain-com.example.app", "Library/app.sqlite")
NOT_A_DATABASE = EntryRef("HomeDomain", "Library/Preferences/com.apple.springboard.plist")
NO_PAYLOAD = EntryRef("AppDomain-com.example.app", "Library/gone.sqlite")


def _rows(database: AppDatabase) -> list[tuple[object, ...]]:
    if isinstance(database, InMemoryAppDatabase):
        connection = sqlite3.connect(":memory:")
        connection.deserialize(database.plaintext)
        return connection.execute("SELECT * FROM t ORDER BY a").fetchall()
    return sqlite_database(database)._read(lambda c: c.execute("SELECT * FROM t ORDER BY a").fetchall())


def _app_database() -> bytes:
    def fill(connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE t (a INTEGER, b TEXT)")
        connection.executemany("INSERT INTO t VALUES (?, ?)", [(1, "one"), (2, "two")])

    return database_files(fill)[0]


@dataclass
class Case:
    make: Callable[[int], AppDatabases]

    async def open(self, databases: AppDatabases | None = None) -> tuple[AppDatabases, OpenBackup]:
        spec = rich_backup(None)
        files = (
            SyntheticFile(APP.domain, APP.relative_path, _app_database()),
            SyntheticFile(NO_PAYLOAD.domain, NO_PAYLOAD.relative_path, _app_database()),
        )
        vault = fake_vault(
            BACKUP,
            replace(spec, entries=spec.entries + files),
            without_content=files[1].file_id,
        )
        return databases or self.make(1 << 30), await vault.open(BACKUP, None)


RAM = Path("/dev/shm")
CASES = {
    "sqlite": Case(lambda size: SqliteAppDatabases(size)),
    "sqlite-ram-file": Case(lambda size: SqliteAppDatabases(size, ram_files=RamFiles(RAM))),
    "memory": Case(InMemoryAppDatabases),
}


@pytest.fixture(params=list(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


async def test_an_entry_s_database_holds_its_rows(case: Case) -> None:
    databases, opened = await case.open()
    database = await databases.database(BACKUP, opened, APP)
    assert database.source == APP
    assert _rows(database) == [(1, "one"), (2, "two")]


async def test_a_missing_entry_or_payload_is_not_found_and_names_what_was_looked_for(case: Case) -> None:
    databases, opened = await case.open()
    for missing in (EntryRef("HomeDomain", "Library/CallHistoryDB/CallHistory.storedata"), NO_PAYLOAD):
        with pytest.raises(ViewNotFoundError) as raised:
            await databases.database(BACKUP, opened, missing)
        assert missing.domain in str(raised.value)
        assert missing.relative_path in str(raised.value)


async def test_what_is_no_sqlite_database_is_unreadable(case: Case) -> None:
    databases, opened = await case.open()
    with pytest.raises(ViewUnreadableError, match="not an SQLite database"):
        await databases.database(BACKUP, opened, NOT_A_DATABASE)


async def test_a_database_larger_than_the_bound_is_unreadable(case: Case) -> None:
    databases, opened = await case.open(case.make(1024))
    with pytest.raises(ViewUnreadableError):
        await databases.database(BACKUP, opened, APP)


async def test_the_sessions_of_a_backup_share_one_copy_until_it_is_forgotten(case: Case) -> None:
    databases, first = await case.open()
    _, second = await case.open(databases)
    shared = await databases.database(BACKUP, first, APP)
    assert await databases.database(BACKUP, second, APP) is shared
    await databases.forget("another backup")
    assert await databases.database(BACKUP, first, APP) is shared
    await databases.forget(BACKUP)
    again = await databases.database(BACKUP, first, APP)
    assert again is not shared
    assert _rows(again) == [(1, "one"), (2, "two")]


@pytest.mark.parametrize("ram_files", [None, RamFiles(RAM)])
async def test_a_database_is_held_in_a_ram_file_where_one_can_be_made_else_in_sqlite_s_memory(
    ram_files: RamFiles | None,
) -> None:
    databases, opened = await Case(lambda size: SqliteAppDatabases(size, ram_files=ram_files)).open()
    database = sqlite_database(await databases.database(BACKUP, opened, APP))
    (file,) = database._read(lambda c: [row[2] for row in c.execute("PRAGMA database_list")])
    assert file.startswith(f"{RAM}/") == (ram_files is not None)  # SQLite's memory names it "x"
    assert not await asyncio.to_thread(os.path.exists, file)  # nameless
    assert _rows(database) == [(1, "one"), (2, "two")]


class _NoRoom(io.FileIO):
    """A RAM file whose folder is full: every write finds no room."""

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FullRamFiles(RamFiles):
    def allocate(self, size: int, readers: int = 0, reserve: bool = True) -> RamFile | None:
        ram = super().allocate(size, readers, reserve)
        assert ram is not None
        assert ram.file is not None
        descriptor = os.dup(ram.file.fileno())
        ram.file.close()
        ram.file = _NoRoom(descriptor, "r+")
        return ram


async def test_a_database_the_ram_folder_has_no_room_for_is_held_in_sqlite_s_memory() -> None:
    databases, opened = await Case(lambda size: SqliteAppDatabases(size, ram_files=_FullRamFiles(RAM))).open()
    database = sqlite_database(await databases.database(BACKUP, opened, APP))
    (file,) = database._read(lambda c: [row[2] for row in c.execute("PRAGMA database_list")])
    assert not file.startswith(f"{RAM}/")
    assert _rows(database) == [(1, "one"), (2, "two")]
