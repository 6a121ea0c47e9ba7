from typing import Protocol

from ios_backup_api.domain.manifest import FileId
from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.previews import ContentPreview


class ContentPreviews(Protocol):
    """Reads a regular file's content to show it: text, a property list as text, an SQLite database's
    tables and first rows. Bounded in the bytes it decrypts and holds; nothing of it goes to disk.

    Never raises for what the content is: a file it can't show (binary, damaged, too large, no payload)
    is a `NoPreview` with a sentence saying why."""

    async def preview(self, opened: OpenBackup, file_id: FileId) -> ContentPreview: ...
