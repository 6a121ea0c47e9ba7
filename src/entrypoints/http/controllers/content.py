from typing import Annotated, Any

from dishka import FromDishka
from litestar import Controller, HttpMethod, Request, Response, route
from litestar.openapi import ResponseSpec
from litestar.params import HeaderParameter

from ios_backup_api.domain.manifest import FileId
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.file_response import file_response
from ios_backup_api.entrypoints.http.openapi import BackupId, FileIdParam, any_content, errors
from ios_backup_api.entrypoints.http.stream_end import DownloadsEndQuietly


class ContentController(Controller):
    path = "/backups/{backup_id:str}/file"
    tags = ["content"]  # noqa: RUF012 - litestar reads it as a class attribute
    middleware = [DownloadsEndQuietly()]  # noqa: RUF012 - litestar reads it as a class attribute

    @route(
        "/{file_id:str}",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="Stream a regular file's decrypted contents (Range supported; HEAD sends the headers only)",
        responses={
            200: any_content("The whole file"),
            206: any_content("The requested range"),
            304: ResponseSpec(None, description="If-None-Match names this version: nothing is sent"),
            **errors(400, 401, 403, 404, 409, 412, 416, 503),
        },
    )
    async def file(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        file_id: FileIdParam,
        sessions: FromDishka[SessionLifecycle],
        session_token: SessionHeader = None,
        # declared for the OpenAPI document; file_response reads them from the request
        range_header: Annotated[str | None, HeaderParameter(name="Range", required=False)] = None,
        if_range: Annotated[str | None, HeaderParameter(name="If-Range", required=False)] = None,
        if_match: Annotated[str | None, HeaderParameter(name="If-Match", required=False)] = None,
        if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match", required=False)] = None,
    ) -> Response[Any]:
        wanted_id = FileId(file_id)
        session = await sessions.resolve(backup_id, session_token)
        return await file_response(request, session.opened, wanted_id)
