from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, get
from litestar.response import Stream

from ios_backup_api.domain.archive import Compression
from ios_backup_api.domain.services.archive_export import ArchiveExport
from ios_backup_api.domain.services.selection import Selection
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.controllers.archive import zip_response
from ios_backup_api.entrypoints.http.openapi import BackupId
from ios_backup_api.entrypoints.http.stream_end import DownloadsEndQuietly
from ios_backup_api.entrypoints.web.pages.browse import Text, session_of


class ArchivePage(Controller):
    """A domain or a folder as one ZIP: the API's archive, authenticated by the page's cookie."""

    path = "/ui/backups/{backup_id:str}"
    include_in_schema = False
    middleware = [DownloadsEndQuietly()]  # noqa: RUF012 - litestar reads it as a class attribute

    @get("/archive")
    async def archive(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        export: FromDishka[ArchiveExport],
        domain: Text,
        folder: Text = "",
    ) -> Stream:
        session = await session_of(request, backup_id, sessions)
        # everything below the folder, its name compared exactly (LIKE would fold case and read `_`)
        selection = Selection(domain, under=folder or None)
        name = "-".join(part for part in (backup_id, domain, folder) if part).replace("/", "_") + ".zip"
        return await zip_response(export.stream(session.opened, selection, Compression.STORED), name)
