from ios_backup_api.domain.backups import BackupSummary
from ios_backup_api.domain.errors import BackupNotFoundError
from ios_backup_api.domain.ports.catalog import BackupCatalog
from ios_backup_api.domain.ports.library import BackupLibrary
from ios_backup_api.domain.ports.removal import BackupRemovalListener


class BackupDiscovery:
    """Keeps the catalog in step with the backup folders on disk."""

    def __init__(
        self,
        catalog: BackupCatalog,
        library: BackupLibrary,
        removal_listeners: tuple[BackupRemovalListener, ...] = (),
    ) -> None:
        self._catalog = catalog
        self._library = library
        self._removal_listeners = removal_listeners

    async def list_backups(self) -> list[BackupSummary]:
        return await self._catalog.list_backups()

    async def get(self, backup_id: str) -> BackupSummary:
        summary = await self._catalog.get(backup_id)
        if summary is None:
            raise BackupNotFoundError(backup_id)
        return summary

    async def refresh(self) -> list[BackupSummary]:
        """Insert new backups, re-read changed ones, forget vanished ones; only changed folders are read."""
        on_disk = await self._library.fingerprints()
        known = await self._catalog.fingerprints()
        changed = [backup_id for backup_id, print_ in on_disk.items() if known.get(backup_id) != print_]
        vanished = sorted(set(known) - set(on_disk))
        if changed:
            read = await self._library.read(changed)
            await self._catalog.save(read)
            # A folder removed between the two looks is gone too.
            gone = set(changed) - {backup.summary.id for backup in read}
            vanished = sorted(set(vanished) | (gone & set(known)))
        if vanished:
            await self._catalog.remove(vanished)
            for listener in self._removal_listeners:
                await listener.backups_removed(vanished)
        return await self._catalog.list_backups()
