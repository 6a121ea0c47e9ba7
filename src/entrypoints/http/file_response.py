"""A regular file's decrypted bytes as an HTTP answer: ranges, validators and headers, for the API's
download route and the page's alike."""

from typing import Any

from litestar import HttpMethod, Request, Response
from litestar.response import Stream

from ios_backup_api.domain.manifest import ByteRange, FileId
from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.entrypoints.http.conditions import matches_strongly, matches_weakly, range_still_applies
from ios_backup_api.entrypoints.http.disposition import content_disposition, content_type
from ios_backup_api.entrypoints.http.errors import error_response
from ios_backup_api.entrypoints.http.ranges import requested_range
from ios_backup_api.entrypoints.http.stream_end import ending_with_the_session


async def file_response(
    request: Request[Any, Any, Any], opened: OpenBackup, wanted_id: FileId
) -> Response[Any]:
    """Reads `Range`, `If-Range`, `If-Match` and `If-None-Match` from the request."""
    content = await opened.content(wanted_id)
    if_match = request.headers.get("If-Match")
    if if_match is not None and not matches_strongly(if_match, content.etag):
        return error_response(412, "If-Match names another version of this file.", {"ETag": content.etag})
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and matches_weakly(if_none_match, content.etag):
        return Response(None, status_code=304, headers={"ETag": content.etag, "Cache-Control": "no-store"})
    applies = range_still_applies(request.headers.get("If-Range"), content.etag)
    wanted = requested_range(request.headers.get("Range") if applies else None, content.length)
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
