"""Headers every response carries, errors and the OpenAPI pages included."""

from litestar.types import Message, Scope

_EVERY_RESPONSE = ((b"x-content-type-options", b"nosniff"),)
"""A file's bytes are served with the type its name suggests: no browser may guess another (a backup's
`.txt` that holds HTML must not run as a page)."""


async def add_response_headers(message: Message, _: Scope) -> None:
    if message["type"] == "http.response.start":
        headers = list(message.get("headers", ()))
        headers.extend(_EVERY_RESPONSE)
        message["headers"] = headers
