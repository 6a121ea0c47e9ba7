"""The page's cookies: HttpOnly, SameSite=Strict, Path=/, and Secure whenever the page came over https.

Over plain http (the loopback default) a Secure cookie would not be kept by every browser, and nothing
secret would be gained: the same connection carries the token as the sign-in form sent it.
"""

import hashlib
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie

SIGN_IN_COOKIE = "ios_backup_ui"
_SESSION_COOKIE_PREFIX = "ios_backup_session_"


def session_cookie_name(backup_id: str) -> str:
    """One cookie per unlocked backup; a backup's id may hold any character, so its name is a digest."""
    return _SESSION_COOKIE_PREFIX + hashlib.sha256(backup_id.encode()).hexdigest()[:32]


def session_cookie_names(connection: ASGIConnection[Any, Any, Any, Any]) -> list[str]:
    return [name for name in connection.cookies if name.startswith(_SESSION_COOKIE_PREFIX)]


def kept(
    connection: ASGIConnection[Any, Any, Any, Any], name: str, value: str, max_age: int | None = None
) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        path="/",
        httponly=True,
        samesite="strict",
        secure=connection.url.scheme == "https",
        max_age=max_age,
    )


def cleared(connection: ASGIConnection[Any, Any, Any, Any], name: str) -> Cookie:
    cookie = kept(connection, name, "", max_age=0)
    cookie.expires = 0
    return cookie
