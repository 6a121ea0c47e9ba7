"""On an SQLite catalog a session's record is read without the engine (see quick_reads), and each read sees
what any other process (here: another engine on the same file) committed just before; when the quick read
can't answer, the engine does."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.sessions.sqla_store import SqlaSessionStore
from ios_backup_api.adapters.sql.engine import create_catalog_engine
from ios_backup_api.adapters.sql.migrate import upgrade_schema
from ios_backup_api.domain.errors import CatalogUnavailableError
from ios_backup_api.domain.ports.sessions import SessionRecord

RECORD = SessionRecord("h" * 64, "b1", datetime(2026, 1, 1, 12, 0, 0, 123000, tzinfo=UTC), b"\x00sealed")


def _statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    return seen


@pytest.fixture
async def engines(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"
    ours, theirs = create_catalog_engine(url), create_catalog_engine(url)
    await upgrade_schema(ours)
    yield ours, theirs
    await ours.dispose()
    await theirs.dispose()


async def test_a_record_is_read_without_the_engine_and_sees_other_processes_at_once(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    ours, theirs = engines
    reader, other = SqlaSessionStore(ours), SqlaSessionStore(theirs)
    statements = _statements(ours)
    assert await reader.get(RECORD.token_hash) is None
    await other.add(RECORD)
    assert await reader.get(RECORD.token_hash) == RECORD
    await other.touch(RECORD.token_hash, RECORD.expires_at + timedelta(hours=1))
    found = await reader.get(RECORD.token_hash)
    assert found is not None
    assert found.expires_at == RECORD.expires_at + timedelta(hours=1)
    assert found.expires_at.tzinfo is not None
    await other.pop(RECORD.token_hash)  # a lock in another worker
    assert await reader.get(RECORD.token_hash) is None
    assert statements == [], "the engine was asked"


async def test_when_the_quick_read_cant_answer_the_engine_does_and_reports_it(tmp_path: Path) -> None:
    """A catalog without its tables (not migrated): the engine is asked, and its failure is the domain's."""
    engine = create_catalog_engine(f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}")
    statements = _statements(engine)
    with pytest.raises(CatalogUnavailableError, match="reading a session"):
        await SqlaSessionStore(engine).get(RECORD.token_hash)
    assert any("FROM sessions" in statement for statement in statements)
    await engine.dispose()
