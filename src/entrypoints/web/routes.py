"""The routers of the pages: the sign-in page and `/` are public; every other page needs a sign-in, and
each of its state-changing forms passes the forgery checks first. None of them reads `X-API-Token`, and no
API route reads a cookie (docs/SECURITY.md, "The web page")."""

from dishka.integrations.litestar import DishkaRouter
from litestar import Router, get
from litestar.datastructures import ResponseHeader
from litestar.response import Redirect

from ios_backup_api.entrypoints.web.forgery import forms_are_ours, sign_in_form_is_ours, signed_in
from ios_backup_api.entrypoints.web.pages.archive import ArchivePage
from ios_backup_api.entrypoints.web.pages.backups import BackupPages
from ios_backup_api.entrypoints.web.pages.browse import BrowsePages
from ios_backup_api.entrypoints.web.pages.chats import ChatPages
from ios_backup_api.entrypoints.web.pages.pictures import PicturePage
from ios_backup_api.entrypoints.web.pages.records import RecordPages
from ios_backup_api.entrypoints.web.pages.sign_in import SignInPage
from ios_backup_api.entrypoints.web.problems import WEB_PROBLEMS

_CONTENT_SECURITY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_PAGE_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=_CONTENT_SECURITY),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="Cache-Control", value="no-store"),
]


@get("/", include_in_schema=False, status_code=303)
async def to_the_pages() -> Redirect:
    return Redirect(path="/ui", status_code=303)


def web_routers() -> list[Router]:
    """Dishka's routers, so the pages get the domain's services as the API's controllers do."""
    public = DishkaRouter(
        path="/",
        route_handlers=[to_the_pages, SignInPage],
        before_request=sign_in_form_is_ours,
        exception_handlers=WEB_PROBLEMS,
        response_headers=_PAGE_HEADERS,
    )
    signed = DishkaRouter(
        path="/",
        route_handlers=[BackupPages, BrowsePages, ArchivePage, ChatPages, RecordPages, PicturePage],
        guards=[signed_in],
        before_request=forms_are_ours,
        exception_handlers=WEB_PROBLEMS,
        response_headers=_PAGE_HEADERS,
    )
    return [public, signed]
