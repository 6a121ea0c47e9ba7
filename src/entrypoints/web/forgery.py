"""Who may change anything through the page: a signed-in browser, on a form this service served it.

Three fences, each enough against a form posted from another site: the cookies are SameSite=Strict (the
browser sends none on a cross-site post), the Origin (or Sec-Fetch-Site) must be this service's own, and
the form must carry the sign-in's CSRF token, which only a page of this service knows.
"""

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from ios_backup_api.entrypoints.web.cookies import SIGN_IN_COOKIE
from ios_backup_api.entrypoints.web.signin import BrowserSignIn

CSRF_FIELD = "csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_NOT_OURS = "This form was not sent from this service's own page, so nothing was changed."


def browser_sign_in(connection: ASGIConnection[Any, Any, Any, Any]) -> BrowserSignIn:
    """The app's one `BrowserSignIn`, made by `create_app` from the API token."""
    signin = connection.app.state.browser_sign_in
    assert isinstance(signin, BrowserSignIn)
    return signin


def sign_in_nonce(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """Set by the `signed_in` guard on the pages that need a sign-in."""
    nonce = connection.state.get("sign_in_nonce")
    return nonce if isinstance(nonce, str) else None


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Lets a request through with a live sign-in cookie; keeps its nonce for the CSRF token."""
    nonce = browser_sign_in(connection).nonce_of(connection.cookies.get(SIGN_IN_COOKIE))
    if nonce is None:
        raise NotAuthorizedException(detail="Sign in with the service's API token first.")
    connection.state.sign_in_nonce = nonce


def from_this_site(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Browsers name the page a request comes from: Origin on every POST, Sec-Fetch-Site besides."""
    origin = connection.headers.get("Origin")
    if origin is not None:
        return origin == f"{connection.url.scheme}://{connection.url.netloc}"
    return connection.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"


async def sign_in_form_is_ours(request: Request[Any, Any, Any]) -> None:
    """The sign-in form has no CSRF token yet (nobody is signed in): only its origin is checked."""
    if request.method not in _SAFE_METHODS and not from_this_site(request):
        raise PermissionDeniedException(detail=_NOT_OURS)


async def forms_are_ours(request: Request[Any, Any, Any]) -> None:
    """Every state-changing request of a signed-in page: its origin and its form's CSRF token."""
    if request.method in _SAFE_METHODS:
        return
    nonce = sign_in_nonce(request)
    if nonce is None or not from_this_site(request):
        raise PermissionDeniedException(detail=_NOT_OURS)
    given = (await request.form()).get(CSRF_FIELD)
    if not isinstance(given, str) or not browser_sign_in(request).csrf_matches(nonce, given):
        raise PermissionDeniedException(detail=_NOT_OURS)
