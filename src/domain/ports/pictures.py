from typing import Protocol

from ios_backup_api.domain.manifest import FileId
from ios_backup_api.domain.ports.vault import OpenBackup


class PictureConversion(Protocol):
    """A HEIC picture of an unlocked backup as a JPEG a browser shows, in memory only, bounded in the bytes
    it reads and the pixels it decodes.

    Raises `EntryNotFoundError` when the file has no content, or its content is no HEIC picture that can be
    decoded within the bounds (the sentence says which)."""

    async def as_jpeg(self, opened: OpenBackup, file_id: FileId) -> bytes: ...
