from collections.abc import Collection, Sequence
from typing import Protocol

from ios_backup_api.domain.backups import BackupSummary, CatalogedBackup


class BackupCatalog(Protocol):
    """The persisted list of backups, as last read from disk.

    Every method raises `CatalogUnavailableError` when the store can't be reached, and nothing else
    of its own driver's: callers never see a library exception.
    """

    async def list_backups(self) -> list[BackupSummary]:
        """Every backup, newest `last_backup_at` first (undated last, ties by id)."""
        ...

    async def get(self, backup_id: str) -> BackupSummary | None: ...

    async def fingerprints(self) -> dict[str, str]:
        """Backup id -> the fingerprint it was saved with."""
        ...

    async def save(self, backups: Sequence[CatalogedBackup]) -> None:
        """Insert or replace each backup by id, all or nothing."""
        ...

    async def remove(self, backup_ids: Collection[str]) -> None:
        """Forget these backups; unknown ids are ignored."""
        ...

    async def ping(self) -> None:
        """Return when the store answers; raise `CatalogUnavailableError` otherwise."""
        ...
