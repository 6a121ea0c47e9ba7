from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from ios_backup_api.entrypoints.web.cookies import SIGN_IN_COOKIE, kept
from ios_backup_api.entrypoints.web.forgery import browser_sign_in
from ios_backup_api.entrypoints.web.pages.forms import SignInBody
from ios_backup_api.entrypoints.web.rendering import page


class SignInPage(Controller):
    """The one page anyone may open: the API token typed once (a plain form, no script needed); its post
    passes the origin check of the public router."""

    path = "/ui/sign-in"
    include_in_schema = False

    @get("/")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "sign_in.html", {"problem": None})

    @post("/", status_code=303)
    async def sign_in(self, request: Request[Any, Any, Any], data: SignInBody) -> Response[Any]:
        signin = browser_sign_in(request)
        if not signin.token_matches(data.token):
            problem = "That is not this service's API token; nothing was signed in."
            return page(request, "sign_in.html", {"problem": problem}, status_code=401)
        cookie = kept(request, SIGN_IN_COOKIE, signin.new_cookie(), max_age=signin.max_age_seconds)
        return Redirect(path="/ui", status_code=303, cookies=[cookie])
