from typing import Annotated, Any

from dishka import FromDishka
from litestar import Controller, HttpMethod, Request, Response, route
from litestar.openapi import ResponseSpec
from litestar.params import HeaderParameter
from litestar.response import Stream

from ios_backup_api.domain.manifest import ByteRange, FileId
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.conditions import matches_strongly, matches_weakly, range_still_applies
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.disposition import content_disposition, content_type
from ios_backup_api.entrypoints.http.errors import error_response
from ios_backup_api.entrypoints.http.openapi import BackupId, FileIdParam, any_content, errors
from ios_backup_api.entrypoints.http.ranges import requested_range
from ios_backup_api.entrypoints.http.stream_end import DownloadsEndQuietly, ending_with_the_session


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
        range_header: Annotated[str | None, HeaderParameter(name="Range", required=False)] = None,
        if_range: Annotated[str | None, HeaderParameter(name="If-Range", required=False)] = None,
        if_match: Annotated[str | None, HeaderParameter(name="If-Match", required=False)] = None,
        if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match", required=False)] = None,
    ) -> Response[Any]:
        wanted_id = FileId(file_id)
        session = await sessions.resolve(backup_id, session_token)
        content = await session.opened.content(wanted_id)
        if if_match is not None and not matches_strongly(if_match, content.etag):
            return error_response(412, "If-Match names another version of this file.", {"ETag": content.etag})
        if if_none_match is not None and matches_weakly(if_none_match, content.etag):
            return Response(
                None, status_code=304, headers={"ETag": content.etag, "Cache-Control": "no-store"}
            )
        applies = range_still_applies(if_range, content.etag)
        wanted = requested_range(range_header if applies else None, content.length)
        sent = wanted or ByteRange(0, content.length)
        headers = {
            "Content-Length": str(sent.length),
            "Content-Disposition": content_disposition(content.relative_path),
            "Accept-Ranges": "bytes",
            "ETag": content.etag,
            "Cache-Control": "no-store",
        }
        if wanted is not None:
            headers["Content-Range"] = f"bytes {sent.start}-{sent.stop - 1}/{content.length}"
        status_code = 206 if wanted is not None else 200
        media_type = content_type(content.relative_path)
        if request.method == HttpMethod.HEAD:  # what a GET would answer, without decrypting a byte of it
            return Response(b"", status_code=status_code, media_type=media_type, headers=headers)
        return Stream(
            ending_with_the_session(content.read(sent)),
            status_code=status_code,
            media_type=media_type,
            headers=headers,
        )
