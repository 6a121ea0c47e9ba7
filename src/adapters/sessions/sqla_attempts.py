from datetime import datetime

from sqlalchemy import case, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.sql.engine import for_writing, upsert_of
from ios_backup_api.adapters.sql.errors import unavailable_on_failure
from ios_backup_api.adapters.sql.tables import unlock_failures as failures_table
from ios_backup_api.domain.ports.attempts import FailedAttempts


class SqlaFailedAttemptLog:
    """Failed unlock attempts in the catalog database's `unlock_failures` table (schema by `upgrade_schema`).

    Every instance on the database sees the same counts, and they outlive restarts. A failure is counted
    by one upsert, so failures recorded at once by any number of instances all count. Database failures
    raise `CatalogUnavailableError`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._insert = upsert_of(engine)
        self._engine = engine
        self._writer = for_writing(engine)

    async def get(self, backup_id: str) -> FailedAttempts | None:
        query = select(failures_table.c.failures, failures_table.c.last_failed_at).where(
            failures_table.c.backup_id == backup_id
        )
        with unavailable_on_failure("reading failed unlock attempts"):
            async with self._engine.connect() as connection:
                row = (await connection.execute(query)).one_or_none()
        return None if row is None else FailedAttempts(row.failures, row.last_failed_at)

    async def record_failure(self, backup_id: str, at: datetime) -> FailedAttempts:
        upsert = self._insert(failures_table).values(backup_id=backup_id, failures=1, last_failed_at=at)
        recorded, new = failures_table.c.last_failed_at, upsert.excluded.last_failed_at
        # One statement, so the increment happens on the row the database has locked: a read followed by
        # a write would let two instances both read n and both write n + 1. A CASE rather than
        # GREATEST/max(a, b), which only one of PostgreSQL and SQLite has each.
        statement = upsert.on_conflict_do_update(
            index_elements=[failures_table.c.backup_id],
            set_={
                "failures": failures_table.c.failures + 1,
                "last_failed_at": case((new > recorded, new), else_=recorded),
            },
        ).returning(failures_table.c.failures, failures_table.c.last_failed_at)
        with unavailable_on_failure("recording a failed unlock attempt"):
            async with self._writer.begin() as connection:
                row = (await connection.execute(statement)).one()
        return FailedAttempts(row.failures, row.last_failed_at)

    async def clear(self, backup_id: str) -> None:
        statement = delete(failures_table).where(failures_table.c.backup_id == backup_id)
        with unavailable_on_failure("clearing failed unlock attempts"):
            async with self._writer.begin() as connection:
                await connection.execute(statement)
