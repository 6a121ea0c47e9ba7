from typing import Annotated, Literal

from dishka import FromDishka
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from ios_backup_api.domain.manifest import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, EntryKind, FileQuery
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.openapi import NO_NUL, BackupId, errors
from ios_backup_api.entrypoints.http.queries import integers_are_digits
from ios_backup_api.entrypoints.http.schemas import DomainListOut, FilePageOut


class ManifestController(Controller):
    path = "/backups/{backup_id:str}"
    tags = ["manifest"]  # noqa: RUF012 - litestar reads it as a class attribute

    @get(
        "/files",
        summary="Manifest entries, filtered and paged, ordered by domain then relative path",
        before_request=integers_are_digits,
        responses=errors(400, 401, 403, 404, 409, 503),
    )
    async def files(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        session_token: SessionHeader = None,
        domain: Annotated[str | None, QueryParameter(max_length=1024, pattern=NO_NUL)] = None,
        path_like: Annotated[str | None, QueryParameter(max_length=1024, pattern=NO_NUL)] = None,
        kind: FromQuery[Literal["file", "directory", "symlink"] | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        offset: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
    ) -> FilePageOut:
        query = FileQuery(domain, path_like, EntryKind(kind) if kind else None, limit, offset)
        session = await sessions.resolve(backup_id, session_token)
        return FilePageOut.of(await session.opened.files(query))

    @get(
        "/domains",
        summary="The manifest's domains, sorted by code point",
        responses=errors(400, 401, 403, 404, 409, 503),
    )
    async def domains(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        session_token: SessionHeader = None,
    ) -> DomainListOut:
        session = await sessions.resolve(backup_id, session_token)
        return DomainListOut(domains=await session.opened.domains())
