"""The filters of `/files` without its paging, as routes that answer every match take them (the listing of
every entry, the archive): one dependency, so that each declares and documents them alike."""

from typing import Any, Literal

from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery

from ios_backup_api.domain.manifest import EntryKind
from ios_backup_api.domain.services.selection import Selection
from ios_backup_api.entrypoints.http.openapi import FilterText, errors
from ios_backup_api.entrypoints.http.queries import every_match

Kind = FromQuery[Literal["file", "directory", "symlink"] | None]


async def _selection(domain: FilterText = None, path_like: FilterText = None, kind: Kind = None) -> Selection:
    return Selection(domain, path_like, EntryKind(kind) if kind else None)


Selected = NamedDependency[Selection]
"""The `selection` of a route's query (see `every_match_route`)."""


def every_match_route(answer: str, content: ResponseSpec, *headers: ResponseHeader) -> dict[str, Any]:
    """What a route whose `answer` (as "An archive") streams every match declares beside its path: no
    paging, its `selection: Selected` of the filters, its `content` and `headers`, and no caching."""
    return {
        "before_request": every_match(answer),
        "dependencies": {"selection": Provide(_selection)},
        "responses": {200: content, **errors(400, 401, 403, 404, 409, 503)},
        "response_headers": [
            *headers,
            ResponseHeader("Cache-Control", documentation_only=True, description="no-store"),
        ],
    }
