"""The query parameters the typed views share, and the query they make."""

from datetime import datetime
from typing import Annotated

from litestar.params import QueryParameter

from ios_backup_api.domain.manifest import MAX_PAGE_SIZE
from ios_backup_api.entrypoints.http.openapi import NO_NUL

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="Rows per page")]
Offset = Annotated[int, QueryParameter(ge=0, le=2**62, description="Rows skipped")]
Since = Annotated[
    datetime | None, QueryParameter(description="RFC 3339; the view's main time at or after it")
]
Until = Annotated[
    datetime | None, QueryParameter(description="RFC 3339; the view's main time at or before it")
]
Search = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=1024, pattern=NO_NUL, description="Case-insensitive substring"),
]
ChatId = Annotated[int | None, QueryParameter(ge=0, le=2**63 - 1, description="Only this chat's messages")]
