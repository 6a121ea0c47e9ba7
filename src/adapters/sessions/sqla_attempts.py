from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.sql.engine import for_writing, upsert_of
from ios_backup_api.adapters.sql.errors import unavailable_on_failure
from ios_backup_api.adapters.sql.tables import unlock_attempts as attempts_table
from ios_backup_api.domain.ports.attempts import UnlockAttempts

_attempts = attempts_table.c.attempts
_last_attempt_at = attempts_table.c.last_attempt_at


class SqlaUnlockAttemptLog:
    """Unlock attempts in the catalog database's `unlock_attempts` table (schema by `upgrade_schema`).

    Every instance on the database sees the same counts, and they outlive restarts. An attempt is counted
    by one statement whose condition is the count it expects: the database evaluates it on the row it has
    locked, so of any number of instances counting on one count at once, one succeeds. Database failures
    raise `CatalogUnavailableError`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._insert = upsert_of(engine)
        self._engine = engine
        self._writer = for_writing(engine)

    async def get(self, key: str) -> UnlockAttempts | None:
        query = select(_attempts, _last_attempt_at).where(attempts_table.c.backup_key == key)
        with unavailable_on_failure("reading unlock attempts"):
            async with self._engine.connect() as connection:
                row = (await connection.execute(query)).one_or_none()
        return None if row is None else UnlockAttempts(row.attempts, row.last_attempt_at)

    async def add_if(self, key: str, expected: int, at: datetime) -> UnlockAttempts | None:
        statement = self._first(key, at) if expected == 0 else self._next(key, expected, at)
        counting = statement.returning(_attempts, _last_attempt_at)
        with unavailable_on_failure("counting an unlock attempt"):
            async with self._writer.begin() as connection:
                row = (await connection.execute(counting)).one_or_none()
        return None if row is None else UnlockAttempts(row.attempts, row.last_attempt_at)

    def _first(self, key: str, at: datetime) -> Any:
        """A new row, or a row taken back to none: an insert that updates only a count of 0."""
        upsert = self._insert(attempts_table).values(backup_key=key, attempts=1, last_attempt_at=at)
        return upsert.on_conflict_do_update(
            index_elements=[attempts_table.c.backup_key],
            set_={"attempts": _attempts + 1, "last_attempt_at": _later(upsert.excluded.last_attempt_at)},
            where=_attempts == 0,
        )

    @staticmethod
    def _next(key: str, expected: int, at: datetime) -> Any:
        return (
            update(attempts_table)
            .where(attempts_table.c.backup_key == key, _attempts == expected)
            .values(attempts=_attempts + 1, last_attempt_at=_later(at))
        )

    async def failed(self, key: str, at: datetime) -> None:
        statement = (
            update(attempts_table)
            .where(attempts_table.c.backup_key == key)
            .values(last_attempt_at=_later(at))
        )
        with unavailable_on_failure("recording a failed unlock attempt"):
            async with self._writer.begin() as connection:
                await connection.execute(statement)

    async def take_back(self, key: str) -> None:
        statement = (
            update(attempts_table)
            .where(attempts_table.c.backup_key == key, _attempts > 0)
            .values(attempts=_attempts - 1)
        )
        with unavailable_on_failure("taking back an unlock attempt"):
            async with self._writer.begin() as connection:
                await connection.execute(statement)

    async def clear(self, key: str) -> None:
        statement = delete(attempts_table).where(attempts_table.c.backup_key == key)
        with unavailable_on_failure("clearing unlock attempts"):
            async with self._writer.begin() as connection:
                await connection.execute(statement)


def _later(new: Any) -> Any:
    """The later of `new` and the recorded time: a CASE rather than GREATEST/max(a, b), which only one of
    PostgreSQL and SQLite has each."""
    return case((new > _last_attempt_at, new), else_=_last_attempt_at)
