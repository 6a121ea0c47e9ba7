from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.sql.engine import for_writing
from ios_backup_api.adapters.sql.errors import unavailable_on_failure
from ios_backup_api.adapters.sql.quick_reads import QuickReads, Unanswered
from ios_backup_api.adapters.sql.tables import sessions as sessions_table
from ios_backup_api.domain.ports.sessions import SessionRecord

_GET = "SELECT token_hash, backup_id, expires_at, sealed_key FROM sessions WHERE token_hash = ?"


class SqlaSessionStore:
    """Session records in the catalog database's `sessions` table, shared by every instance using it.

    Every request reads its session's record: on SQLite that read is a quick one (see quick_reads)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = for_writing(engine)
        self._quick = QuickReads.of(engine)
        # The column's own decoding (SQLite's text to an aware UTC datetime), as the engine reads it.
        expiry_type = sessions_table.c.expires_at.type.dialect_impl(engine.dialect)
        self._expiry = expiry_type.result_processor(engine.dialect, None)

    async def add(self, record: SessionRecord) -> None:
        with unavailable_on_failure("saving a session"):
            async with self._writer.begin() as connection:
                await connection.execute(sessions_table.insert().values(**_row(record)))

    async def get(self, token_hash: str) -> SessionRecord | None:
        if self._quick is not None:
            try:
                return self._quick_get(self._quick, token_hash)
            except Unanswered:
                pass
        query = select(sessions_table).where(sessions_table.c.token_hash == token_hash)
        with unavailable_on_failure("reading a session"):
            async with self._engine.connect() as connection:
                row = (await connection.execute(query)).one_or_none()
        return None if row is None else _record(row)

    def _quick_get(self, quick: QuickReads, token_hash: str) -> SessionRecord | None:
        row = quick.one(_GET, (token_hash,))
        if row is None:
            return None
        expires_at = row[2] if self._expiry is None else self._expiry(row[2])
        if not isinstance(expires_at, datetime):
            raise Unanswered  # not what the engine writes: let it read (and report) the row
        return SessionRecord(row[0], row[1], expires_at, row[3])

    async def touch(self, token_hash: str, expires_at: datetime) -> None:
        statement = (
            update(sessions_table)
            .where(sessions_table.c.token_hash == token_hash)
            .where(sessions_table.c.expires_at < expires_at)
            .values(expires_at=expires_at)
        )
        with unavailable_on_failure("renewing a session"):
            async with self._writer.begin() as connection:
                await connection.execute(statement)

    async def pop(self, token_hash: str) -> SessionRecord | None:
        statement = (
            delete(sessions_table)
            .where(sessions_table.c.token_hash == token_hash)
            .returning(*sessions_table.c)
        )
        with unavailable_on_failure("ending a session"):
            async with self._writer.begin() as connection:
                row = (await connection.execute(statement)).one_or_none()
        return None if row is None else _record(row)

    async def count_live(self, now: datetime, backup_id: str | None = None) -> int:
        query = select(func.count()).select_from(sessions_table).where(sessions_table.c.expires_at > now)
        if backup_id is not None:
            query = query.where(sessions_table.c.backup_id == backup_id)
        with unavailable_on_failure("counting sessions"):
            async with self._engine.connect() as connection:
                return int((await connection.execute(query)).scalar_one())

    async def pop_where(
        self, *, backup_ids: Collection[str] = (), expired_at: datetime | None = None
    ) -> list[SessionRecord]:
        conditions: list[ColumnElement[bool]] = []
        if backup_ids:
            conditions.append(sessions_table.c.backup_id.in_(sorted(backup_ids)))
        if expired_at is not None:
            conditions.append(sessions_table.c.expires_at <= expired_at)
        if not conditions:
            return []
        statement = delete(sessions_table).where(or_(*conditions)).returning(*sessions_table.c)
        with unavailable_on_failure("ending sessions"):
            async with self._writer.begin() as connection:
                rows = (await connection.execute(statement)).all()
        return [_record(row) for row in rows]


def _row(record: SessionRecord) -> dict[str, Any]:
    return {
        "token_hash": record.token_hash,
        "backup_id": record.backup_id,
        "expires_at": record.expires_at,
        "sealed_key": record.sealed_key,
    }


def _record(row: Row[Any]) -> SessionRecord:
    return SessionRecord(row.token_hash, row.backup_id, row.expires_at, row.sealed_key)
