from typing import Any
from urllib.parse import quote

from dishka import FromDishka
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from ios_backup_api.domain.services.discovery import BackupDiscovery
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.openapi import BackupId
from ios_backup_api.entrypoints.web.cookies import (
    SIGN_IN_COOKIE,
    cleared,
    kept,
    session_cookie_name,
    session_cookie_names,
)
from ios_backup_api.entrypoints.web.pages.forms import UnlockBody
from ios_backup_api.entrypoints.web.problems import FORM_PAGE
from ios_backup_api.entrypoints.web.rendering import page


def files_page(backup_id: str) -> str:
    return f"/ui/backups/{quote(backup_id, safe='')}/files"


class BackupPages(Controller):
    """The list of backups, refresh, unlock, lock and sign-out."""

    path = "/ui"
    include_in_schema = False

    @get("/")
    async def backups(
        self, request: Request[Any, Any, Any], discovery: FromDishka[BackupDiscovery]
    ) -> Template:
        backups = await discovery.list_backups()
        unlocked = {b.id for b in backups if session_cookie_name(b.id) in request.cookies}
        return page(request, "backups.html", {"backups": backups, "unlocked": unlocked})

    @post("/refresh", status_code=303)
    async def refresh(self, discovery: FromDishka[BackupDiscovery]) -> Redirect:
        await discovery.refresh()
        return Redirect(path="/ui", status_code=303)

    @get("/backups/{backup_id:str}")
    async def unlock_form(
        self, request: Request[Any, Any, Any], backup_id: BackupId, discovery: FromDishka[BackupDiscovery]
    ) -> Template:
        backup = await discovery.get(backup_id)
        context = {"backup_id": backup_id, "backup": backup, "problem": None, "retry_after": None}
        return page(request, "unlock.html", context)

    @post("/backups/{backup_id:str}/unlock", status_code=303, opt={FORM_PAGE: "unlock.html"})
    async def unlock(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        data: UnlockBody,
        sessions: FromDishka[SessionLifecycle],
    ) -> Redirect:
        unlocked = await sessions.unlock(backup_id, data.password or None)
        # no Max-Age: the session's idle lifetime is renewed by every use; the server says when it ends
        cookie = kept(request, session_cookie_name(backup_id), unlocked.session_token)
        return Redirect(path=files_page(backup_id), status_code=303, cookies=[cookie])

    @post("/backups/{backup_id:str}/lock", status_code=303)
    async def lock(
        self, request: Request[Any, Any, Any], backup_id: BackupId, sessions: FromDishka[SessionLifecycle]
    ) -> Redirect:
        name = session_cookie_name(backup_id)
        token = request.cookies.get(name)
        if token is not None:
            await sessions.lock(backup_id, token)
        return Redirect(path="/ui", status_code=303, cookies=[cleared(request, name)])

    @post("/sign-out", status_code=303)
    async def sign_out(
        self,
        request: Request[Any, Any, Any],
        discovery: FromDishka[BackupDiscovery],
        sessions: FromDishka[SessionLifecycle],
    ) -> Response[Any]:
        """Locks every backup this browser unlocked, then forgets its cookies."""
        for backup in await discovery.list_backups():
            token = request.cookies.get(session_cookie_name(backup.id))
            if token is not None:
                await sessions.lock(backup.id, token)
        names = [SIGN_IN_COOKIE, *session_cookie_names(request)]
        return Redirect(path="/ui/sign-in", status_code=303, cookies=[cleared(request, n) for n in names])
