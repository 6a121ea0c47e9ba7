from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

from ios_backup_api.adapters.sql.utc import as_utc
from ios_backup_api.domain.backups import BackupSummary, CatalogedBackup, newest_first
from ios_backup_api.domain.errors import CatalogUnavailableError


class InMemoryBackupCatalog:
    """The catalog in a dict, for unit tests; set `available = False` to play an unreachable database."""

    def __init__(self, backups: Iterable[CatalogedBackup] = ()) -> None:
        self._backups: dict[str, CatalogedBackup] = {}
        self.available = True
        for backup in backups:
            self._backups[backup.summary.id] = _normalised(backup)

    async def list_backups(self) -> list[BackupSummary]:
        self._check_available()
        return newest_first([backup.summary for backup in self._backups.values()])

    async def get(self, backup_id: str) -> BackupSummary | None:
        self._check_available()
        backup = self._backups.get(backup_id)
        return None if backup is None else backup.summary

    async def fingerprints(self) -> dict[str, str]:
        self._check_available()
        return {backup_id: backup.fingerprint for backup_id, backup in self._backups.items()}

    async def save(self, backups: Sequence[CatalogedBackup]) -> None:
        self._check_available()
        # Built aside and swapped in one step, so a failure half-way leaves the catalog as it was.
        updated = dict(self._backups)
        for backup in backups:
            updated[backup.summary.id] = _normalised(backup)
        self._backups = updated

    async def remove(self, backup_ids: Collection[str]) -> None:
        self._check_available()
        gone = set(backup_ids)
        self._backups = {key: value for key, value in self._backups.items() if key not in gone}

    async def ping(self) -> None:
        self._check_available()

    def _check_available(self) -> None:
        if not self.available:
            raise CatalogUnavailableError("The in-memory catalog was made unavailable by the test.")


def _normalised(backup: CatalogedBackup) -> CatalogedBackup:
    """Timestamps come back as aware UTC datetimes, as they do from the SQL catalog."""
    moment = backup.summary.last_backup_at
    if moment is None:
        return backup
    return replace(backup, summary=replace(backup.summary, last_backup_at=as_utc(moment)))
