"""One contract for the FailedAttemptLog port: in memory, and on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ios_backup_api.adapters.sessions.attempts_memory import InMemoryFailedAttemptLog
from ios_backup_api.adapters.sessions.sqla_attempts import SqlaFailedAttemptLog
from ios_backup_api.adapters.sql.engine import create_catalog_engine
from ios_backup_api.adapters.sql.migrate import upgrade_schema
from ios_backup_api.domain.ports.attempts import FailedAttemptLog, FailedAttempts

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
async def log(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FailedAttemptLog]:
    if request.param == "memory":
        yield InMemoryFailedAttemptLog()
        return
    engine = create_catalog_engine(await _upgraded_database(request.param, request, tmp_path))
    yield SqlaFailedAttemptLog(engine)
    await engine.dispose()


@pytest.fixture(params=_DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An upgraded, empty database, for tests that open it from several engines."""
    return await _upgraded_database(request.param, request, tmp_path)


def _is_utc(moment: datetime) -> bool:
    return moment.utcoffset() == timedelta(0)


async def test_an_unknown_backup_has_no_failures(log: FailedAttemptLog) -> None:
    assert await log.get("never seen") is None


async def test_each_failure_adds_one_from_one(log: FailedAttemptLog) -> None:
    for expected in range(1, 5):
        recorded = await log.record_failure("b1", NOW + expected * MICROSECOND)
        assert recorded == FailedAttempts(expected, NOW + expected * MICROSECOND)
        assert await log.get("b1") == recorded


async def test_the_time_is_kept_to_the_microsecond_in_utc(log: FailedAttemptLog) -> None:
    await log.record_failure("b1", NOW)
    found = await log.get("b1")
    assert found is not None
    assert found.last_at == NOW
    assert found.last_at.microsecond == NOW.microsecond
    assert _is_utc(found.last_at)


async def test_an_earlier_failure_counts_but_never_moves_the_time_back(log: FailedAttemptLog) -> None:
    await log.record_failure("b1", NOW)
    assert await log.record_failure("b1", NOW - MICROSECOND) == FailedAttempts(2, NOW)
    assert await log.record_failure("b1", NOW - timedelta(days=400)) == FailedAttempts(3, NOW)
    assert await log.get("b1") == FailedAttempts(3, NOW)
    assert await log.record_failure("b1", NOW + MICROSECOND) == FailedAttempts(4, NOW + MICROSECOND)
    found = await log.get("b1")
    assert found == FailedAttempts(4, NOW + MICROSECOND)
    assert _is_utc(found.last_at)


async def test_clear_forgets_one_backup_and_not_another(log: FailedAttemptLog) -> None:
    await log.record_failure("b1", NOW)
    await log.record_failure("b1", NOW)
    await log.record_failure("b2", NOW)
    await log.clear("b1")
    await log.clear("unknown")
    assert await log.get("b1") is None
    assert await log.get("b2") == FailedAttempts(1, NOW)
    assert await log.record_failure("b1", NOW + MICROSECOND) == FailedAttempts(1, NOW + MICROSECOND)


async def test_backups_are_counted_apart(log: FailedAttemptLog) -> None:
    for _ in range(3):
        await log.record_failure("b1", NOW)
    await log.record_failure("b2", NOW + MICROSECOND)
    assert await log.get("b1") == FailedAttempts(3, NOW)
    assert await log.get("b2") == FailedAttempts(1, NOW + MICROSECOND)
    assert await log.get("b3") is None


async def test_failures_recorded_at_once_all_count(log: FailedAttemptLog) -> None:
    recorded = await asyncio.gather(
        *(log.record_failure("b1", NOW + index * MICROSECOND) for index in range(AT_ONCE))
    )
    # Each call saw its own increment: none of them read a count another one had already raised.
    assert sorted(attempts.count for attempts in recorded) == list(range(1, AT_ONCE + 1))
    assert await log.get("b1") == FailedAttempts(AT_ONCE, NOW + (AT_ONCE - 1) * MICROSECOND)


async def test_failures_recorded_at_once_by_two_instances_all_count(database_url: str) -> None:
    engines = [create_catalog_engine(database_url) for _ in range(2)]
    try:
        first, second = (SqlaFailedAttemptLog(engine) for engine in engines)
        recorded = await asyncio.gather(
            *(
                (first if index % 2 else second).record_failure("b1", NOW + index * MICROSECOND)
                for index in range(AT_ONCE)
            )
        )
        assert sorted(attempts.count for attempts in recorded) == list(range(1, AT_ONCE + 1))
        latest = FailedAttempts(AT_ONCE, NOW + (AT_ONCE - 1) * MICROSECOND)
        assert await first.get("b1") == latest
        assert await second.get("b1") == latest
    finally:
        for engine in engines:
            await engine.dispose()
