from collections.abc import AsyncIterator
from typing import Literal

from dishka import FromDishka
from litestar import Controller, get
from litestar.datastructures import ResponseHeader
from litestar.params import FromQuery
from litestar.response import Stream

from ios_backup_api.domain.archive import Compression
from ios_backup_api.domain.services.archive_export import ArchiveExport
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.disposition import content_disposition
from ios_backup_api.entrypoints.http.openapi import BackupId, zip_content
from ios_backup_api.entrypoints.http.selections import Selected, every_match_route
from ios_backup_api.entrypoints.http.stream_end import DownloadsEndQuietly, after, ending_with_the_session


class ArchiveController(Controller):
    path = "/backups/{backup_id:str}"
    tags = ["content"]  # noqa: RUF012 - litestar reads it as a class attribute
    middleware = [DownloadsEndQuietly()]  # noqa: RUF012 - litestar reads it as a class attribute

    @get(
        "/archive",
        summary="Every entry the filters of /files match, as one ZIP streamed as it is produced",
        description="Entries `<domain>/<relative_path>` with their times, folders and symlinks as such "
        "(Unix mode in the external attributes), ZIP64 where sizes need it; stored unless compress=deflate. "
        "Files whose payload is missing are left out and named in a final MISSING.txt.",
        **every_match_route(
            "An archive",
            zip_content(),
            ResponseHeader(
                "Content-Disposition",
                documentation_only=True,
                description="attachment: `<backup_id>.zip`, `<backup_id>-<domain>.zip` with a domain",
            ),
        ),
    )
    async def archive(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        export: FromDishka[ArchiveExport],
        selection: Selected,
        session_token: SessionHeader = None,
        compress: FromQuery[Literal["stored", "deflate"]] = "stored",
    ) -> Stream:
        session = await sessions.resolve(backup_id, session_token)
        domain = selection.domain
        name = f"{backup_id}-{domain.replace('/', '_')}.zip" if domain else f"{backup_id}.zip"
        return await zip_response(export.stream(session.opened, selection, Compression(compress)), name)


async def zip_response(chunks: AsyncIterator[bytes], name: str) -> Stream:
    """The archive's stream as a download named `name`; for the API's route and the page's alike."""
    first = await anext(chunks)  # a manifest that can't be read answers with its status, not a cut stream
    headers = {"Content-Disposition": content_disposition(name), "Cache-Control": "no-store"}
    return Stream(
        ending_with_the_session(after(first, chunks)), media_type="application/zip", headers=headers
    )
