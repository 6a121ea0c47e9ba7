from collections.abc import Collection
from dataclasses import replace

from ios_backup_api.domain.backups import BackupSummary, CatalogedBackup


class InMemoryBackupLibrary:
    """Backup folders that exist only in memory, for unit tests; counts full reads like the disk walk."""

    def __init__(self) -> None:
        self._folders: dict[str, tuple[BackupSummary, int]] = {}
        self.reads: list[str] = []

    def put(self, summary: BackupSummary) -> None:
        """Add a folder, or rewrite it (its fingerprint changes)."""
        _, version = self._folders.get(summary.id, (summary, 0))
        self._folders[summary.id] = (summary, version + 1)

    def delete(self, backup_id: str) -> None:
        self._folders.pop(backup_id, None)

    async def fingerprints(self) -> dict[str, str]:
        return {backup_id: str(version) for backup_id, (_, version) in self._folders.items()}

    async def read(self, backup_ids: Collection[str]) -> list[CatalogedBackup]:
        read = []
        for backup_id in backup_ids:
            if backup_id in self._folders:
                summary, version = self._folders[backup_id]
                self.reads.append(backup_id)
                read.append(CatalogedBackup(replace(summary), str(version)))
        return read
