from collections.abc import Collection
from typing import Protocol

from ios_backup_api.domain.backups import CatalogedBackup


class BackupLibrary(Protocol):
    """The backup folders on disk under the base path."""

    async def fingerprints(self) -> dict[str, str]:
        """Every folder that looks like a backup -> a cheap fingerprint (a few stat calls per folder).

        Equal fingerprints mean nothing a summary depends on changed. Never raises for one bad folder (one
        that does not answer has a fingerprint saying so); raises `CatalogUnavailableError` when the base
        path itself does not answer.
        """
        ...

    async def read(self, backup_ids: Collection[str]) -> list[CatalogedBackup]:
        """Read the summaries of these folders in full (including the size walk).

        A folder that can't be used comes back `unreadable` with its problem; a folder that vanished
        since `fingerprints` is left out.
        """
        ...
