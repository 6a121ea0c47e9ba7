"""What the OpenAPI document declares beyond the handlers' signatures: error responses and parameter rules."""

from typing import Annotated, Any

from litestar.openapi import ResponseSpec
from litestar.params import Parameter, QueryParameter

from ios_backup_api.domain.manifest import FILE_ID_PATTERN
from ios_backup_api.entrypoints.http.schemas import ErrorOut

_MEANINGS = {
    400: "Malformed parameters or body, or a wrong passphrase",
    401: "A missing or invalid X-API-Token, or no live X-Backup-Session",
    403: "The X-Backup-Session belongs to another backup",
    404: "No such backup, manifest entry or file content",
    409: "The backup can't be opened: it is unreadable or damaged (the detail says why)",
    412: "If-Match names another version of the file",
    413: "The request body is larger than the service accepts",
    416: "The range is not satisfiable (Content-Range gives the length)",
    429: "Too many failed unlock attempts, too many unlocks at once, or too many live sessions"
    " (Retry-After says when to retry)",
    503: "The catalog database is unavailable",
}

NO_NUL = "^[^\\x00]*$"
"""No NUL character: SQLite would end the text there, and match what the client did not ask for."""

FilterText = Annotated[str | None, QueryParameter(max_length=1024, pattern=NO_NUL)]
"""A text filter of the manifest's entries (`domain`, `path_like`)."""

BackupId = Annotated[
    str,
    Parameter(min_length=1, max_length=255, description="The backup folder's name under the base path"),
]
# The pattern is documented here and checked by the domain's FileId (a 400 with the domain's sentence).
FileIdParam = Annotated[
    str,
    Parameter(
        description="40 lowercase hex characters: SHA-1 of domain-path",
        schema_extra={"pattern": FILE_ID_PATTERN},
    ),
]


def errors(*status_codes: int) -> dict[int, ResponseSpec]:
    """The error responses of a route, each with the `{"status_code", "detail"}` body."""
    return {
        code: ResponseSpec(ErrorOut, description=_MEANINGS[code], generate_examples=False)
        for code in status_codes
    }


def any_content(description: str) -> ResponseSpec:
    """A body of whatever media type the file's name suggests."""
    content: Any = object
    return ResponseSpec(content, description=description, media_type="*/*", generate_examples=False)


def zip_content() -> ResponseSpec:
    """A ZIP archive, streamed."""
    content: Any = bytes
    return ResponseSpec(
        content, description="The ZIP archive", media_type="application/zip", generate_examples=False
    )


def ndjson_content() -> ResponseSpec:
    """JSON lines, streamed."""
    content: Any = bytes
    return ResponseSpec(
        content,
        description="One ManifestEntry (as in /files) per line, each line ended by a newline",
        media_type=NDJSON,
        generate_examples=False,
    )


NDJSON = "application/x-ndjson"
