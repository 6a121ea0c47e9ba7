"""The `BackupCatalog` contract, one suite run against every adapter: in memory, SQLite and PostgreSQL."""

import asyncio
import random
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.catalog.sqla_catalog import SqlaBackupCatalog
from ios_backup_api.adapters.sql.engine import create_catalog_engine
from ios_backup_api.adapters.sql.migrate import alembic_config, upgrade_schema
from ios_backup_api.domain.backups import BackupStatus, BackupSummary, CatalogedBackup
from ios_backup_api.domain.errors import CatalogUnavailableError
from ios_backup_api.domain.ports.catalog import BackupCatalog
from tests.fakes.catalog import InMemoryBackupCatalog
from tests.support.factories import BackupSummaryFactory, CatalogedBackupFactory
from tests.support.postgres import PostgresServer, free_port

SQL_DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
ALL_CATALOGS = [pytest.param("memory", id="memory"), *SQL_DATABASES]
NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@contextmanager
def _empty_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'catalog' / 'catalog.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


def _unreachable_url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        # The catalog's folder can't be made: a file stands where it should be.
        (tmp_path / "a-file").write_text("")
        return f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'catalog.sqlite3'}"
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"


@pytest.fixture(params=SQL_DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own, without any table yet."""
    with _empty_database(request.param, request, tmp_path) as url:
        yield url


@pytest.fixture(params=ALL_CATALOGS)
async def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BackupCatalog]:
    """An empty catalog; the SQL ones on a database of the test's own, its schema made by `upgrade_schema`."""
    if request.param == "memory":
        yield InMemoryBackupCatalog()
        return
    with _empty_database(request.param, request, tmp_path) as url:
        await upgrade_schema(url)
        engine = create_catalog_engine(url)
        try:
            yield SqlaBackupCatalog(engine)
        finally:
            await engine.dispose()


@pytest.fixture(params=ALL_CATALOGS)
async def unreachable_catalog(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BackupCatalog]:
    if request.param == "memory":
        offline = InMemoryBackupCatalog()
        offline.available = False
        yield offline
        return
    engine = create_catalog_engine(_unreachable_url(request.param, tmp_path))
    try:
        yield SqlaBackupCatalog(engine)
    finally:
        await engine.dispose()


@pytest.fixture(params=SQL_DATABASES)
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _unreachable_url(request.param, tmp_path)


def _backup(
    backup_id: str, last_backup_at: datetime | None = None, fingerprint: str = "fp"
) -> CatalogedBackup:
    return CatalogedBackup(
        BackupSummaryFactory.build(id=backup_id, last_backup_at=last_backup_at), fingerprint
    )


def _everything_set() -> CatalogedBackup:
    summary = BackupSummary(
        id="Ünïcödé 📱 backup",
        udid="00008030-001A2B3C4D5E6F7A",
        device_name="Anna’s iPhone 日本",
        display_name="Änna 🍏",
        product_type="iPhone15,2",
        product_version="17.4.1",
        build_version="21E236",
        serial_number="F2LZK0XJN70F",
        is_encrypted=True,
        last_backup_at=datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
        size_bytes=2**63 - 1,
        status=BackupStatus.UNREADABLE,
        problem="Manifest.db is missing — the backup was interrupted.",
        warnings=("The backup is still being written: its SnapshotState is uploading.", 'ünï "⚠️" [],'),
    )
    return CatalogedBackup(summary, "fingerprint with ünïcode 📱")


def _nothing_set() -> CatalogedBackup:
    summary = BackupSummary(
        id="bare",
        udid=None,
        device_name=None,
        display_name=None,
        product_type=None,
        product_version=None,
        build_version=None,
        serial_number=None,
        is_encrypted=False,
        last_backup_at=None,
        size_bytes=None,
        status=BackupStatus.READY,
        problem=None,
    )
    return CatalogedBackup(summary, "")


def _by_id(summaries: list[BackupSummary]) -> dict[str, BackupSummary]:
    return {summary.id: summary for summary in summaries}


# ---- every catalog -------------------------------------------------------------------------------------


async def test_an_empty_catalog_lists_nothing_and_knows_no_backup(catalog: BackupCatalog) -> None:
    assert await catalog.list_backups() == []
    assert await catalog.get("anything") is None
    assert await catalog.fingerprints() == {}


async def test_every_field_of_a_saved_backup_reads_back_unchanged(catalog: BackupCatalog) -> None:
    backups = [_everything_set(), _nothing_set(), *CatalogedBackupFactory.batch(20)]

    await catalog.save(backups)

    for backup in backups:
        assert await catalog.get(backup.summary.id) == backup.summary
    assert _by_id(await catalog.list_backups()) == {backup.summary.id: backup.summary for backup in backups}
    assert await catalog.fingerprints() == {backup.summary.id: backup.fingerprint for backup in backups}


async def test_timestamps_read_back_as_aware_utc_datetimes_of_the_same_instant(
    catalog: BackupCatalog,
) -> None:
    in_paris = datetime(2024, 6, 1, 12, 30, 15, 123_456, tzinfo=timezone(timedelta(hours=2)))
    naive_taken_as_utc = datetime(2024, 6, 1, 10, 0)

    await catalog.save([_backup("zoned", in_paris), _backup("naive", naive_taken_as_utc)])

    zoned = await catalog.get("zoned")
    naive = await catalog.get("naive")
    assert zoned is not None
    assert naive is not None
    assert zoned.last_backup_at == datetime(2024, 6, 1, 10, 30, 15, 123_456, tzinfo=UTC)
    assert naive.last_backup_at == datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
    for moment in (zoned.last_backup_at, naive.last_backup_at):
        assert moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(0)


async def test_saving_a_known_id_replaces_that_backup(catalog: BackupCatalog) -> None:
    first = CatalogedBackupFactory.build()
    second = CatalogedBackupFactory.build(summary=BackupSummaryFactory.build(id=first.summary.id))

    await catalog.save([first])
    await catalog.save([second])

    assert await catalog.list_backups() == [second.summary]
    assert await catalog.get(first.summary.id) == second.summary
    assert await catalog.fingerprints() == {first.summary.id: second.fingerprint}


async def test_the_last_of_an_id_repeated_in_one_save_wins(catalog: BackupCatalog) -> None:
    first, last = _backup("twice", NOON, "first"), _backup("twice", None, "last")

    await catalog.save([first, last])

    assert await catalog.list_backups() == [last.summary]
    assert await catalog.fingerprints() == {"twice": "last"}


async def test_backups_are_listed_newest_first_undated_last_and_ties_by_id_in_code_point_order(
    catalog: BackupCatalog,
) -> None:
    two_hours_east = timezone(timedelta(hours=2))
    backups = [
        _backup("old", NOON - timedelta(days=1)),
        _backup("ä", NOON),
        _backup("B", NOON),
        _backup("a", NOON.astimezone(two_hours_east)),  # the same instant, written in another zone
        _backup("newest by a microsecond", NOON + timedelta(microseconds=1)),
        _backup("ä undated"),
        _backup("B undated"),
        _backup("a undated"),
    ]
    random.Random(7).shuffle(backups)

    await catalog.save(backups)

    assert [summary.id for summary in await catalog.list_backups()] == [
        "newest by a microsecond",
        "B",
        "a",
        "ä",
        "old",
        "B undated",
        "a undated",
        "ä undated",
    ]


async def test_fingerprints_map_each_id_to_the_fingerprint_it_was_last_saved_with(
    catalog: BackupCatalog,
) -> None:
    await catalog.save([_backup("one", fingerprint="1"), _backup("two", fingerprint="2")])
    await catalog.save([_backup("two", fingerprint="2 changed"), _backup("three", fingerprint="3")])

    assert await catalog.fingerprints() == {"one": "1", "two": "2 changed", "three": "3"}


async def test_remove_forgets_the_given_backups_and_ignores_unknown_ids(catalog: BackupCatalog) -> None:
    kept, gone, also_gone = CatalogedBackupFactory.batch(3)
    await catalog.save([kept, gone, also_gone])

    await catalog.remove([gone.summary.id, "never saved", also_gone.summary.id])
    await catalog.remove([])

    assert await catalog.list_backups() == [kept.summary]
    assert await catalog.get(gone.summary.id) is None
    assert await catalog.fingerprints() == {kept.summary.id: kept.fingerprint}


async def test_saving_nothing_changes_nothing(catalog: BackupCatalog) -> None:
    backup = CatalogedBackupFactory.build()
    await catalog.save([backup])

    await catalog.save([])

    assert await catalog.list_backups() == [backup.summary]


async def test_ping_returns_while_the_store_answers(catalog: BackupCatalog) -> None:
    await catalog.ping()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda catalog: catalog.list_backups(), id="list_backups"),
        pytest.param(lambda catalog: catalog.get("any"), id="get"),
        pytest.param(lambda catalog: catalog.fingerprints(), id="fingerprints"),
        pytest.param(lambda catalog: catalog.save([_backup("any")]), id="save"),
        pytest.param(lambda catalog: catalog.remove(["any"]), id="remove"),
        pytest.param(lambda catalog: catalog.ping(), id="ping"),
    ],
)
async def test_every_method_raises_catalog_unavailable_when_the_store_cannot_be_reached(
    unreachable_catalog: BackupCatalog, call: Callable[[BackupCatalog], Awaitable[object]]
) -> None:
    with pytest.raises(CatalogUnavailableError):
        await call(unreachable_catalog)


# ---- SQL catalogs: transactions, concurrency, migrations ---------------------------------------------------


async def _reject_inserts_of(engine: AsyncEngine, backup_id: str) -> None:
    """A trigger that makes the database refuse one row, to break a save half-way."""
    async with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            await connection.exec_driver_sql(
                f"CREATE TRIGGER reject_row BEFORE INSERT ON backups WHEN NEW.id = '{backup_id}' "
                "BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END"
            )
        else:
            await connection.exec_driver_sql(
                "CREATE FUNCTION reject_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.id = '{backup_id}' THEN RAISE EXCEPTION 'rejected by the test'; END IF; "
                "RETURN NEW; END $$"
            )
            await connection.exec_driver_sql(
                "CREATE TRIGGER reject_row BEFORE INSERT ON backups"
                " FOR EACH ROW EXECUTE FUNCTION reject_row()"
            )


async def test_a_save_that_fails_part_way_leaves_the_catalog_as_it_was(empty_database_url: str) -> None:
    await upgrade_schema(empty_database_url)
    engine = create_catalog_engine(empty_database_url)
    try:
        catalog = SqlaBackupCatalog(engine)
        kept = _backup("b kept", NOON, "before")
        await catalog.save([kept])
        await _reject_inserts_of(engine, "z rejected")

        # Saved in id order: the new and the changed row are written before the rejected one fails.
        with pytest.raises(CatalogUnavailableError):
            await catalog.save([_backup("a new"), _backup("b kept", None, "after"), _backup("z rejected")])

        assert await catalog.list_backups() == [kept.summary]
        assert await catalog.fingerprints() == {"b kept": "before"}
    finally:
        await engine.dispose()


async def test_concurrent_saves_of_the_same_ids_from_two_instances_leave_one_row_per_id(
    empty_database_url: str,
) -> None:
    await upgrade_schema(empty_database_url)
    engines = [create_catalog_engine(empty_database_url) for _ in range(2)]
    try:
        first, second = (SqlaBackupCatalog(engine) for engine in engines)
        backups = CatalogedBackupFactory.batch(60)
        for round_ in range(8):
            # Opposite orders too: two refreshes need not read the folders in the same order.
            ours = [replace(backup, fingerprint=f"ours {round_}") for backup in backups]
            theirs = [replace(backup, fingerprint=f"theirs {round_}") for backup in reversed(backups)]
            await asyncio.gather(first.save(ours), second.save(theirs))

        fingerprints = await first.fingerprints()
        assert sorted(fingerprints) == sorted(backup.summary.id for backup in backups)
        assert set(fingerprints.values()) <= {"ours 7", "theirs 7"}
        assert len(await second.list_backups()) == len(backups)
    finally:
        for engine in engines:
            await engine.dispose()


async def _schema_revisions(url: str) -> list[str]:
    engine = create_catalog_engine(url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await engine.dispose()


def _head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_upgrade_schema_is_idempotent_from_a_url_or_an_engine(empty_database_url: str) -> None:
    await upgrade_schema(empty_database_url)
    engine = create_catalog_engine(empty_database_url)
    try:
        await upgrade_schema(engine)
        catalog = SqlaBackupCatalog(engine)
        await catalog.save([_backup("after two upgrades")])
        assert [summary.id for summary in await catalog.list_backups()] == ["after two upgrades"]
    finally:
        await engine.dispose()

    assert await _schema_revisions(empty_database_url) == [_head_revision()]


async def test_upgrades_started_together_in_one_process_all_succeed(empty_database_url: str) -> None:
    await asyncio.gather(*(upgrade_schema(empty_database_url) for _ in range(3)))

    assert await _schema_revisions(empty_database_url) == [_head_revision()]


_UPGRADE_ON_CUE = """
import asyncio, sys
from ios_backup_api.adapters.sql.migrate import upgrade_schema
print("ready", flush=True)
sys.stdin.readline()
asyncio.run(upgrade_schema(sys.argv[1]))
"""


async def test_instances_upgrading_the_schema_at_once_all_succeed(empty_database_url: str) -> None:
    instances = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _UPGRADE_ON_CUE,
            empty_database_url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    for instance in instances:  # every one imported and waiting, then all told to go at once
        assert instance.stdout is not None
        assert await instance.stdout.readline() == b"ready\n"
    results = await asyncio.gather(*(instance.communicate(b"go\n") for instance in instances))

    failures = [
        stderr.decode()
        for instance, (_, stderr) in zip(instances, results, strict=True)
        if instance.returncode
    ]
    assert failures == []
    assert await _schema_revisions(empty_database_url) == [_head_revision()]


async def test_upgrade_schema_raises_catalog_unavailable_when_the_database_cannot_be_reached(
    unreachable_url: str,
) -> None:
    with pytest.raises(CatalogUnavailableError):
        await upgrade_schema(unreachable_url)
