"""Checks of query parameters before Litestar's: integers as digits only (its conversion would also take
`1e2`, `5.0` or `+5`), and no paging where every match is answered."""

from collections.abc import Awaitable, Callable
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


def every_match(answer: str) -> Callable[[Request[Any, Any, Any]], Awaitable[Response[Any] | None]]:
    """Refuses `limit` and `offset` on a route whose `answer` (as "An archive") holds every match."""

    async def no_paging(request: Request[Any, Any, Any]) -> Response[Any] | None:
        for name in ("limit", "offset"):
            if name in request.query_params:
                return error_response(
                    400, f"{answer} holds every match: {name} is not one of its parameters."
                )
        return None

    return no_paging
