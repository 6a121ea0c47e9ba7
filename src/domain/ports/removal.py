from collections.abc import Collection
from typing import Protocol


class BackupRemovalListener(Protocol):
    """Told when backups vanish from the catalog, e.g. to end their sessions."""

    async def backups_removed(self, backup_ids: Collection[str]) -> None: ...
