from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from dishka import FromDishka
from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from ios_backup_api.domain.archive import Compression
from ios_backup_api.domain.manifest import EntryKind
from ios_backup_api.domain.services.archive_export import ArchiveExport
from ios_backup_api.domain.services.selection import Selection
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.disposition import content_disposition
from ios_backup_api.entrypoints.http.errors import error_response
from ios_backup_api.entrypoints.http.openapi import NO_NUL, BackupId, errors, zip_content
from ios_backup_api.entrypoints.http.stream_end import DownloadsEndQuietly, ending_with_the_session

Filter = Annotated[str | None, QueryParameter(max_length=1024, pattern=NO_NUL)]


async def no_paging(request: Request[Any, Any, Any]) -> Response[Any] | None:
    for name in ("limit", "offset"):
        if name in request.query_params:
            return error_response(400, f"An archive holds every match: {name} is not one of its parameters.")
    return None


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
        before_request=no_paging,
        responses={200: zip_content(), **errors(400, 401, 403, 404, 409, 503)},
        response_headers=[
            ResponseHeader(
                "Content-Disposition",
                documentation_only=True,
                description="attachment: `<backup_id>.zip`, `<backup_id>-<domain>.zip` with a domain",
            ),
            ResponseHeader("Cache-Control", documentation_only=True, description="no-store"),
        ],
    )
    async def archive(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        export: FromDishka[ArchiveExport],
        session_token: SessionHeader = None,
        domain: Filter = None,
        path_like: Filter = None,
        kind: FromQuery[Literal["file", "directory", "symlink"] | None] = None,
        compress: FromQuery[Literal["stored", "deflate"]] = "stored",
    ) -> Stream:
        selection = Selection(domain, path_like, EntryKind(kind) if kind else None)
        session = await sessions.resolve(backup_id, session_token)
        name = f"{backup_id}-{domain.replace('/', '_')}.zip" if domain else f"{backup_id}.zip"
        return await zip_response(export.stream(session.opened, selection, Compression(compress)), name)


async def zip_response(chunks: AsyncIterator[bytes], name: str) -> Stream:
    """The archive's stream as a download named `name`; for the API's route and the page's alike."""
    first = await anext(chunks)  # a manifest that can't be read answers with its status, not a cut stream
    headers = {"Content-Disposition": content_disposition(name), "Cache-Control": "no-store"}
    return Stream(
        ending_with_the_session(_after(first, chunks)), media_type="application/zip", headers=headers
    )


async def _after(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk
