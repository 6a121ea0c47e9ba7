"""Query integers as digits only: Litestar's conversion would also take `1e2`, `5.0` or `+5`."""

from typing import Any

from litestar import Request, Response

from ios_backup_api.entrypoints.http.errors import error_response

_INTEGER_QUERIES = ("limit", "offset", "chat_id")


async def integers_are_digits(request: Request[Any, Any, Any]) -> Response[Any] | None:
    for name in _INTEGER_QUERIES:
        for value in request.query_params.getall(name, []):
            if not (value.isascii() and value.isdigit()):
                return error_response(400, f"{name} must be written in digits only.")
    return None
