"""Driving the pages over HTTP as a browser would: sign in with the token, then post forms with their
CSRF field."""

import re

from litestar.testing import AsyncTestClient

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has a form with its CSRF field"
    return found.group(1)


async def signed_in(client: AsyncTestClient, token: str) -> str:  # type: ignore[type-arg]
    """Signs `client` in (its cookie jar keeps the cookie) and returns the sign-in's CSRF token."""
    client.headers.pop("X-API-Token", None)
    response = await client.post("/ui/sign-in", data={"token": token})
    assert response.status_code == 200, response.text
    return csrf_of(response.text)
