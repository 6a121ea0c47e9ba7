from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from dishka import FromDishka
from litestar import Controller, MediaType, Response, get
from litestar.datastructures import ResponseHeader
from litestar.openapi import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from ios_backup_api.domain.manifest import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    EntryKind,
    EntryRun,
    FilePage,
    FileQuery,
)
from ios_backup_api.domain.services.selection import selected_runs
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.openapi import NDJSON, BackupId, FilterText, errors, ndjson_content
from ios_backup_api.entrypoints.http.queries import integers_are_digits
from ios_backup_api.entrypoints.http.schemas import DomainListOut, FilePageOut, ManifestEntryOut
from ios_backup_api.entrypoints.http.selections import Kind, Selected, every_match_route
from ios_backup_api.entrypoints.http.stream_end import DownloadsEndQuietly, after, ending_with_the_session

_LINES = msgspec.json.Encoder()


class ManifestController(Controller):
    path = "/backups/{backup_id:str}"
    tags = ["manifest"]  # noqa: RUF012 - litestar reads it as a class attribute
    middleware = [DownloadsEndQuietly()]  # noqa: RUF012 - litestar reads it as a class attribute

    @get(
        "/files",
        summary="Manifest entries, filtered and paged, ordered by domain then relative path",
        before_request=integers_are_digits,
        responses={
            200: ResponseSpec(
                FilePageOut, description="Request fulfilled, document follows", generate_examples=False
            ),
            **errors(400, 401, 403, 404, 409, 503),
        },
    )
    async def files(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        session_token: SessionHeader = None,
        domain: FilterText = None,
        path_like: FilterText = None,
        kind: Kind = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        offset: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
    ) -> Response[bytes]:
        query = FileQuery(domain, path_like, EntryKind(kind) if kind else None, limit, offset)
        session = await sessions.resolve(backup_id, session_token)
        return Response(_page(await session.opened.run(query), query), media_type=MediaType.JSON)

    @get(
        "/files.ndjson",
        summary="Every entry the filters of /files match, one JSON line each, streamed in the same order",
        description="The listing of every match in one response: no limit or offset. X-Total-Count gives "
        "the number of lines the stream holds; a stream cut short (the session ended, the manifest found "
        "damaged past its first lines) ends without its chunked body's last chunk.",
        **every_match_route(
            "A listing of every entry",
            ndjson_content(),
            ResponseHeader("X-Total-Count", documentation_only=True, description="the number of matches"),
        ),
    )
    async def files_lines(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        selection: Selected,
        session_token: SessionHeader = None,
    ) -> Stream:
        session = await sessions.resolve(backup_id, session_token)
        runs = selected_runs(session.opened, selection)
        first = await anext(runs)  # a manifest that can't be read answers with its status, not a cut stream
        headers = {"X-Total-Count": str(first.total), "Cache-Control": "no-store"}
        lines = after(_lines(first), _encoded(runs))
        return Stream(ending_with_the_session(lines), media_type=NDJSON, headers=headers)

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


async def _encoded(runs: AsyncIterator[EntryRun]) -> AsyncIterator[bytes]:
    async for run in runs:
        yield _lines(run)


def _page(run: EntryRun, query: FileQuery) -> bytes:
    """The FilePageOut of the run: its items as the manifest's reader wrote them (a JSON array of its
    lines: JSON text holds no newline but between them), or encoded here."""
    if run.lines is None:
        return _LINES.encode(FilePageOut.of(FilePage(run.items, run.total, query.limit, query.offset)))
    listed = b"[" + run.lines[:-1].replace(b"\n", b",") + b"]"
    return b'{"items":%b,"total":%d,"limit":%d,"offset":%d}' % (listed, run.total, query.limit, query.offset)


def _lines(run: EntryRun) -> bytes:
    """The run's JSON lines: as the manifest's reader wrote them, or encoded here as a page's are."""
    if run.lines is not None:
        return run.lines
    return _LINES.encode_lines([ManifestEntryOut.of(entry) for entry in run.items])
