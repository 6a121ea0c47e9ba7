"""One contract for the UnlockAttemptLog port: in memory, and on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ios_backup_api.adapters.sessions.attempts_memory import InMemoryUnlockAttemptLog
from ios_backup_api.adapters.sessions.sqla_attempts import SqlaUnlockAttemptLog
from ios_backup_api.adapters.sql.engine import create_catalog_engine
from ios_backup_api.adapters.sql.migrate import upgrade_schema
from ios_backup_api.domain.ports.attempts import UnlockAttemptLog, UnlockAttempts

# Microseconds that a millisecond-precision store would lose.
NOW = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
AT_ONCE = 20


_DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def _upgraded_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'attempts.sqlite3'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    await upgrade_schema(url)
    return url


@pytest.fixture(params=["memory", *_DATABASES])
async def log(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnlockAttemptLog]:
    if request.param == "memory":
        yield InMemoryUnlockAttemptLog()
        return
    engine = create_catalog_engine(await _upgraded_database(request.param, request, tmp_path))
    yield SqlaUnlockAttemptLog(engine)
    await engine.dispose()


@pytest.fixture(params=_DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An upgraded, empty database, for tests that open it from several engines."""
    return await _upgraded_database(request.param, request, tmp_path)


def _is_utc(moment: datetime) -> bool:
    return moment.utcoffset() == timedelta(0)


async def _count(log: UnlockAttemptLog, key: str, times: int, at: datetime = NOW) -> None:
    for _ in range(times):
        current = await log.get(key)
        assert await log.add_if(key, 0 if current is None else current.count, at) is not None


async def test_an_unknown_backup_has_no_attempts(log: UnlockAttemptLog) -> None:
    assert await log.get("never seen") is None


async def test_each_attempt_on_the_expected_count_adds_one_from_one(log: UnlockAttemptLog) -> None:
    for expected in range(1, 5):
        counted = await log.add_if("b1", expected - 1, NOW + expected * MICROSECOND)
        assert counted == UnlockAttempts(expected, NOW + expected * MICROSECOND)
        assert await log.get("b1") == counted


@pytest.mark.parametrize("counted_before", [0, 2])
async def test_an_attempt_on_another_count_than_the_expected_is_not_counted(
    log: UnlockAttemptLog, counted_before: int
) -> None:
    await _count(log, "b1", counted_before)
    for wrong in {0, 1, 2, 3} - {counted_before}:
        assert await log.add_if("b1", wrong, NOW + MICROSECOND) is None
    found = await log.get("b1")
    assert (0 if found is None else found.count) == counted_before


async def test_the_time_is_kept_to_the_microsecond_in_utc(log: UnlockAttemptLog) -> None:
    await log.add_if("b1", 0, NOW)
    found = await log.get("b1")
    assert found is not None
    assert found.last_at == NOW
    assert found.last_at.microsecond == NOW.microsecond
    assert _is_utc(found.last_at)


async def test_an_earlier_attempt_counts_but_never_moves_the_time_back(log: UnlockAttemptLog) -> None:
    await log.add_if("b1", 0, NOW)
    assert await log.add_if("b1", 1, NOW - MICROSECOND) == UnlockAttempts(2, NOW)
    assert await log.add_if("b1", 2, NOW - timedelta(days=400)) == UnlockAttempts(3, NOW)
    assert await log.get("b1") == UnlockAttempts(3, NOW)
    assert await log.add_if("b1", 3, NOW + MICROSECOND) == UnlockAttempts(4, NOW + MICROSECOND)
    found = await log.get("b1")
    assert found == UnlockAttempts(4, NOW + MICROSECOND)
    assert _is_utc(found.last_at)


async def test_a_failure_moves_the_time_forward_only_and_leaves_the_count(log: UnlockAttemptLog) -> None:
    await _count(log, "b1", 2)
    await log.failed("b1", NOW + MICROSECOND)
    assert await log.get("b1") == UnlockAttempts(2, NOW + MICROSECOND)
    await log.failed("b1", NOW - timedelta(days=1))
    assert await log.get("b1") == UnlockAttempts(2, NOW + MICROSECOND)
    await log.failed("unknown", NOW)
    assert await log.get("unknown") is None


async def test_take_back_removes_one_and_never_goes_below_none(log: UnlockAttemptLog) -> None:
    await _count(log, "b1", 2)
    await log.take_back("b1")
    assert await log.get("b1") == UnlockAttempts(1, NOW)
    await log.take_back("b1")
    await log.take_back("b1")
    await log.take_back("unknown")
    found = await log.get("b1")
    assert found is None or found.count == 0
    assert await log.get("unknown") is None
    assert await log.add_if("b1", 1, NOW) is None
    assert await log.add_if("b1", 0, NOW + MICROSECOND) == UnlockAttempts(1, NOW + MICROSECOND)


async def test_clear_forgets_one_backup_and_not_another(log: UnlockAttemptLog) -> None:
    await _count(log, "b1", 2)
    await _count(log, "b2", 1)
    await log.clear("b1")
    await log.clear("unknown")
    assert await log.get("b1") is None
    assert await log.get("b2") == UnlockAttempts(1, NOW)
    assert await log.add_if("b1", 0, NOW + MICROSECOND) == UnlockAttempts(1, NOW + MICROSECOND)


async def test_backups_are_counted_apart(log: UnlockAttemptLog) -> None:
    await _count(log, "b1", 3)
    await _count(log, "b2", 1, NOW + MICROSECOND)
    assert await log.get("b1") == UnlockAttempts(3, NOW)
    assert await log.get("b2") == UnlockAttempts(1, NOW + MICROSECOND)
    assert await log.get("b3") is None


@pytest.mark.parametrize("counted_before", [0, 3])
async def test_of_attempts_made_at_once_on_one_count_exactly_one_is_counted(
    log: UnlockAttemptLog, counted_before: int
) -> None:
    await _count(log, "b1", counted_before)
    results = await asyncio.gather(*(log.add_if("b1", counted_before, NOW) for _ in range(AT_ONCE)))
    assert [result for result in results if result is not None] == [UnlockAttempts(counted_before + 1, NOW)]
    assert await log.get("b1") == UnlockAttempts(counted_before + 1, NOW)


@pytest.mark.parametrize("counted_before", [0, 3])
async def test_of_attempts_made_at_once_by_two_instances_exactly_one_is_counted(
    database_url: str, counted_before: int
) -> None:
    engines = [create_catalog_engine(database_url) for _ in range(2)]
    try:
        first, second = (SqlaUnlockAttemptLog(engine) for engine in engines)
        await _count(first, "b1", counted_before)
        results = await asyncio.gather(
            *((first if index % 2 else second).add_if("b1", counted_before, NOW) for index in range(AT_ONCE))
        )
        assert len([result for result in results if result is not None]) == 1
        counted = UnlockAttempts(counted_before + 1, NOW)
        assert await first.get("b1") == counted
        assert await second.get("b1") == counted
    finally:
        for engine in engines:
            await engine.dispose()
