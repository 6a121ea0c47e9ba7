import json
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.sql.engine import for_writing, upsert_of
from ios_backup_api.adapters.sql.errors import unavailable_on_failure
from ios_backup_api.adapters.sql.tables import backups as backups_table
from ios_backup_api.domain.backups import BackupStatus, BackupSummary, CatalogedBackup, newest_first

_SUMMARY_COLUMNS = [column for column in backups_table.c if column.name != "fingerprint"]


class SqlaBackupCatalog:
    """The catalog in the `backups` table of an SQLite or PostgreSQL database (schema by `upgrade_schema`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._insert = upsert_of(engine)
        self._engine = engine
        self._writer = for_writing(engine)

    async def list_backups(self) -> list[BackupSummary]:
        with unavailable_on_failure("listing the backups"):
            async with self._engine.connect() as connection:
                rows = (await connection.execute(select(*_SUMMARY_COLUMNS))).all()
        return newest_first([_summary(row) for row in rows])

    async def get(self, backup_id: str) -> BackupSummary | None:
        query = select(*_SUMMARY_COLUMNS).where(backups_table.c.id == backup_id)
        with unavailable_on_failure("reading one backup"):
            async with self._engine.connect() as connection:
                row = (await connection.execute(query)).one_or_none()
        return None if row is None else _summary(row)

    async def fingerprints(self) -> dict[str, str]:
        with unavailable_on_failure("reading the fingerprints"):
            async with self._engine.connect() as connection:
                rows = (
                    await connection.execute(select(backups_table.c.id, backups_table.c.fingerprint))
                ).all()
        return {backup_id: fingerprint for backup_id, fingerprint in rows}

    async def save(self, backups: Sequence[CatalogedBackup]) -> None:
        # The last of repeated ids wins; rows go in id order so that two instances saving the same
        # backups lock their rows in the same order and can't deadlock.
        latest = {backup.summary.id: backup for backup in backups}
        rows = [_row(latest[backup_id]) for backup_id in sorted(latest)]
        if not rows:
            return
        upsert = self._insert(backups_table)
        upsert = upsert.on_conflict_do_update(
            index_elements=[backups_table.c.id],
            set_={
                column.name: upsert.excluded[column.name] for column in backups_table.c if column.name != "id"
            },
        )
        with unavailable_on_failure("saving backups"):
            async with self._writer.begin() as connection:
                await connection.execute(upsert, rows)

    async def remove(self, backup_ids: Collection[str]) -> None:
        if not backup_ids:
            return
        statement = delete(backups_table).where(backups_table.c.id == bindparam("backup_id"))
        with unavailable_on_failure("removing backups"):
            async with self._writer.begin() as connection:
                await connection.execute(
                    statement, [{"backup_id": backup_id} for backup_id in sorted(backup_ids)]
                )

    async def ping(self) -> None:
        with unavailable_on_failure("answering a ping"):
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))


def _row(backup: CatalogedBackup) -> dict[str, Any]:
    summary = backup.summary
    return {
        "id": summary.id,
        "udid": summary.udid,
        "device_name": summary.device_name,
        "display_name": summary.display_name,
        "product_type": summary.product_type,
        "product_version": summary.product_version,
        "build_version": summary.build_version,
        "serial_number": summary.serial_number,
        "is_encrypted": summary.is_encrypted,
        "last_backup_at": summary.last_backup_at,
        "size_bytes": summary.size_bytes,
        "status": summary.status.value,
        "problem": summary.problem,
        "warnings": json.dumps(list(summary.warnings)) if summary.warnings else None,
        "fingerprint": backup.fingerprint,
    }


def _summary(row: Row[Any]) -> BackupSummary:
    return BackupSummary(
        id=row.id,
        udid=row.udid,
        device_name=row.device_name,
        display_name=row.display_name,
        product_type=row.product_type,
        product_version=row.product_version,
        build_version=row.build_version,
        serial_number=row.serial_number,
        is_encrypted=row.is_encrypted,
        last_backup_at=row.last_backup_at,
        size_bytes=row.size_bytes,
        status=BackupStatus(row.status),
        problem=row.problem,
        warnings=tuple(json.loads(row.warnings)) if row.warnings else (),
    )
