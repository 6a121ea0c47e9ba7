"""The typed views of an unlocked backup: which it has, and a page of one."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.ports.views import AppDatabase, AppDatabases
from ios_backup_api.domain.views.file_ids import with_file_ids
from ios_backup_api.domain.views.pages import SOURCES, ViewAvailability, ViewName, ViewPage

T = TypeVar("T")


class ViewReading:
    def __init__(self, databases: AppDatabases) -> None:
        self._databases = databases

    async def available(self, opened: OpenBackup) -> list[ViewAvailability]:
        """Every view, in the contract's order, with the entry of its database when the backup has one."""
        ids = await opened.locate(SOURCES.values())
        return [
            ViewAvailability(name, source, None if source not in ids else ids[source].hex)
            for name, source in SOURCES.items()
        ]

    async def page(
        self,
        backup_id: str,
        opened: OpenBackup,
        name: ViewName,
        read: Callable[[AppDatabase], Awaitable[ViewPage[T]]],
    ) -> ViewPage[T]:
        """`read`'s page of the view's database, each entry its rows point at given its `file_id`.

        Raises `ViewNotFoundError` when the backup lacks the database, `ViewUnreadableError` when it can't
        be read for the view."""
        database = await self._databases.database(backup_id, opened, SOURCES[name])
        return await with_file_ids(await read(database), opened)
