"""What the typed views need: an app's database out of an unlocked backup, and one reader per app."""

from typing import Protocol

from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.views.pages import EntryRef, ViewPage, ViewQuery
from ios_backup_api.domain.views.records import (
    Call,
    Chat,
    Contact,
    Message,
    Note,
    Photo,
    WhatsAppChat,
    WhatsAppMessage,
)


class AppDatabase(Protocol):
    """One app database of one unlocked backup, as the readers of the same technology read it.

    Read-only, in memory, with the committed frames of its `-wal` entry applied; nothing of it is on disk.
    """

    @property
    def source(self) -> EntryRef: ...


class AppDatabases(Protocol):
    """Hands out the database of a manifest entry of an unlocked backup.

    A database is shared by every session of its backup (one copy per backup version and entry), the
    copies together stay under a bound of memory, and a backup's copies are dropped by `forget` when the
    last of its sessions on this instance ends.
    """

    async def database(self, backup_id: str, opened: OpenBackup, source: EntryRef) -> AppDatabase:
        """Raises `ViewNotFoundError` when the manifest has no regular file at `source` (or its payload is
        missing), `ViewUnreadableError` when it is no SQLite database, is damaged, or is larger than the
        bound allows."""
        ...

    async def forget(self, backup_id: str) -> None:
        """Drop every database of `backup_id` (its last session on this instance ended)."""
        ...


class MessagesReader(Protocol):
    """sms.db. Raises `ViewUnreadableError` when the database lacks a table or column the view needs."""

    async def chats(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Chat]: ...

    async def messages(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Message]: ...


class WhatsAppReader(Protocol):
    """ChatStorage.sqlite. Raises `ViewUnreadableError` as `MessagesReader` does."""

    async def chats(self, database: AppDatabase, query: ViewQuery) -> ViewPage[WhatsAppChat]: ...

    async def messages(self, database: AppDatabase, query: ViewQuery) -> ViewPage[WhatsAppMessage]: ...


class ContactsReader(Protocol):
    async def contacts(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Contact]: ...


class CallsReader(Protocol):
    async def calls(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Call]: ...


class PhotosReader(Protocol):
    async def photos(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Photo]: ...


class NotesReader(Protocol):
    async def notes(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Note]: ...
