"""One table maps the domain's errors to status codes; no handler catches its own."""

import logging
from collections.abc import Callable
from typing import Any

from litestar import Request, Response

from ios_backup_api.domain.errors import (
    BackupNotFoundError,
    BackupUnreadableError,
    CatalogUnavailableError,
    CorruptBackupError,
    DomainError,
    EntryNotFoundError,
    ForeignSessionError,
    InvalidQueryError,
    RetryLaterError,
    SessionRequiredError,
    TooManyAttemptsError,
    TooManySessionsError,
    UnlockBusyError,
    ViewNotFoundError,
    ViewUnreadableError,
    WrongPassphraseError,
)
from ios_backup_api.entrypoints.http.ranges import RangeNotSatisfiableError

logger = logging.getLogger("ios_backup_api")

STATUS_OF: dict[type[DomainError], int] = {
    WrongPassphraseError: 400,
    InvalidQueryError: 400,
    SessionRequiredError: 401,
    ForeignSessionError: 403,
    BackupNotFoundError: 404,
    EntryNotFoundError: 404,
    ViewNotFoundError: 404,
    BackupUnreadableError: 409,
    CorruptBackupError: 409,
    ViewUnreadableError: 409,
    TooManyAttemptsError: 429,
    TooManySessionsError: 429,
    UnlockBusyError: 429,
    RetryLaterError: 429,
    CatalogUnavailableError: 503,
}


def _retry_headers(error: DomainError) -> dict[str, str]:
    assert isinstance(error, RetryLaterError)
    return {"Retry-After": str(error.retry_after_seconds)}


HEADERS_OF: dict[type[DomainError], Callable[[DomainError], dict[str, str]]] = {
    TooManyAttemptsError: _retry_headers,
    TooManySessionsError: _retry_headers,
    UnlockBusyError: _retry_headers,
    RetryLaterError: _retry_headers,
}


def error_response(status_code: int, detail: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response({"status_code": status_code, "detail": detail}, status_code=status_code, headers=headers)


def domain_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if not isinstance(error, DomainError) or type(error) not in STATUS_OF:
        logger.error("No status code is mapped for %s", type(error).__name__, exc_info=error)
        return error_response(500, "Internal server error; the log has the details.")
    status_code = STATUS_OF[type(error)]
    if status_code >= 500:  # the service's own trouble (the database is away): one line, no stack trace
        logger.warning("%s %s answered %d: %s", request.method, request.url.path, status_code, error)
    make_headers = HEADERS_OF.get(type(error))
    return error_response(status_code, str(error), make_headers(error) if make_headers else None)


def range_error_handler(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    assert isinstance(error, RangeNotSatisfiableError)
    return error_response(416, str(error), {"Content-Range": f"bytes */{error.length}"})
