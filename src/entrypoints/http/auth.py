"""The API-token guard: one token from the configuration, compared in constant time."""

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

API_TOKEN_HEADER = "X-API-Token"  # noqa: S105 - a header name, not a secret


def api_token_guard(expected: str) -> Guard:
    expected_bytes = expected.encode()

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        given = connection.headers.get(API_TOKEN_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), expected_bytes):
            raise NotAuthorizedException(detail=f"A valid {API_TOKEN_HEADER} header is required.")

    return guard
