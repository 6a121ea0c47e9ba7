"""One contract for the SessionStore port: in memory, and on SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ios_backup_api.adapters.sessions.memory import InMemorySessionStore
from ios_backup_api.adapters.sessions.sqla_store import SqlaSessionStore
from ios_backup_api.adapters.sql.engine import create_catalog_engine
from ios_backup_api.adapters.sql.migrate import upgrade_schema
from ios_backup_api.domain.ports.sessions import SessionRecord, SessionStore

NOW = datetime(2026, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)


def _record(
    token_hash: str, backup_id: str = "b1", expires_in: int = 60, key: bytes | None = b"\x00k"
) -> SessionRecord:
    return SessionRecord(token_hash, backup_id, NOW + timedelta(seconds=expires_in), key)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionStore]:
    if request.param == "memory":
        yield InMemorySessionStore()
        return
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'sessions.sqlite3'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    engine = create_catalog_engine(url)
    await upgrade_schema(engine)
    yield SqlaSessionStore(engine)
    await engine.dispose()


async def test_a_record_is_found_by_its_hash_until_popped(store: SessionStore) -> None:
    record = _record("h1", key=bytes(range(256)))
    await store.add(record)
    assert await store.get("h1") == record
    assert await store.get("other") is None
    assert await store.pop("h1") == record
    assert await store.get("h1") is None
    assert await store.pop("h1") is None


async def test_an_unencrypted_backup_s_record_has_no_key(store: SessionStore) -> None:
    await store.add(_record("h1", key=None))
    found = await store.get("h1")
    assert found is not None
    assert found.sealed_key is None


async def test_touch_moves_the_expiry_and_ignores_unknown_hashes(store: SessionStore) -> None:
    await store.add(_record("h1"))
    later = NOW + timedelta(hours=1)
    await store.touch("h1", later)
    await store.touch("unknown", later)
    found = await store.get("h1")
    assert found is not None
    assert found.expires_at == later


async def test_touch_never_moves_an_expiry_backwards(store: SessionStore) -> None:
    """Two instances renewing one session at once may write in either order: the later expiry stays."""
    await store.add(_record("h1", expires_in=600))
    await store.touch("h1", NOW + timedelta(seconds=300))
    found = await store.get("h1")
    assert found is not None
    assert found.expires_at == NOW + timedelta(seconds=600)
    await store.touch("h1", NOW + timedelta(seconds=900))
    await store.touch("h1", NOW + timedelta(seconds=899, microseconds=999_999))
    found = await store.get("h1")
    assert found is not None
    assert found.expires_at == NOW + timedelta(seconds=900)


async def test_live_sessions_are_counted_per_backup_and_in_all(store: SessionStore) -> None:
    assert await store.count_live(NOW) == 0
    await store.add(_record("a", "b1", expires_in=60))
    await store.add(_record("b", "b1", expires_in=1))
    await store.add(_record("c", "b2", expires_in=60))
    await store.add(_record("d", "b2", expires_in=-1))  # expired, not swept yet
    assert await store.count_live(NOW) == 3
    assert (await store.count_live(NOW, "b1"), await store.count_live(NOW, "b2")) == (2, 1)
    assert await store.count_live(NOW + timedelta(seconds=1), "b1") == 1, "expired at its expiry"
    assert await store.count_live(NOW, "other") == 0


async def test_pop_where_takes_the_sessions_of_backups_and_the_expired(store: SessionStore) -> None:
    await store.add(_record("a", "b1", expires_in=60))
    await store.add(_record("b", "b2", expires_in=60))
    await store.add(_record("c", "b3", expires_in=-1))
    await store.add(_record("d", "b3", expires_in=600))
    taken = await store.pop_where(backup_ids=["b1"], expired_at=NOW)
    assert sorted(record.token_hash for record in taken) == ["a", "c"]
    assert await store.get("a") is None
    assert await store.get("c") is None
    assert await store.get("b") is not None
    assert await store.get("d") is not None
    assert await store.pop_where(backup_ids=["nothing"]) == []
    assert await store.pop_where() == []
