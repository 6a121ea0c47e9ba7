"""One contract for the SessionStore port, run against every implementation."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from adapters.sessions.memory import InMemorySessionStore
from domain.ports.sessions import Session, SessionStore
from domain.ports.vault import OpenBackup

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _session(token_hash: str, backup_id: str = "b1", expires_in: int = 60) -> Session:
    return Session(token_hash, backup_id, NOW + timedelta(seconds=expires_in), cast(OpenBackup, object()))


@pytest.fixture(params=[InMemorySessionStore], ids=["memory"])
def store(request: pytest.FixtureRequest) -> SessionStore:
    make: Callable[[], SessionStore] = request.param
    return make()


async def test_a_session_is_found_by_its_hash_until_popped(store: SessionStore) -> None:
    session = _session("h1")
    await store.add(session)
    found = await store.get("h1")
    assert found is not None
    assert (found.backup_id, found.expires_at) == ("b1", session.expires_at)
    assert await store.get("other") is None
    popped = await store.pop("h1")
    assert popped is not None
    assert popped.token_hash == "h1"
    assert await store.get("h1") is None
    assert await store.pop("h1") is None


async def test_touch_moves_the_expiry_and_ignores_unknown_hashes(store: SessionStore) -> None:
    await store.add(_session("h1"))
    later = NOW + timedelta(hours=1)
    await store.touch("h1", later)
    await store.touch("unknown", later)
    found = await store.get("h1")
    assert found is not None
    assert found.expires_at == later


async def test_pop_where_takes_the_sessions_of_backups_and_the_expired(store: SessionStore) -> None:
    await store.add(_session("a", "b1", expires_in=60))
    await store.add(_session("b", "b2", expires_in=60))
    await store.add(_session("c", "b3", expires_in=-1))
    await store.add(_session("d", "b3", expires_in=600))
    taken = await store.pop_where(backup_ids=["b1"], expired_at=NOW)
    assert sorted(session.token_hash for session in taken) == ["a", "c"]
    assert await store.get("a") is None
    assert await store.get("c") is None
    assert await store.get("b") is not None
    assert await store.get("d") is not None
    assert await store.pop_where(backup_ids=["nothing"]) == []
