from typing import Annotated

from dishka import FromDishka
from litestar import Controller, post
from litestar.params import Body, HeaderParameter

from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.openapi import BackupId, errors
from ios_backup_api.entrypoints.http.schemas import UnlockIn, UnlockOut
from ios_backup_api.entrypoints.http.sessions import BACKUP_SESSION_HEADER

SessionHeader = Annotated[str | None, HeaderParameter(name=BACKUP_SESSION_HEADER, required=False)]


class SessionsController(Controller):
    path = "/backups/{backup_id:str}"
    tags = ["sessions"]  # noqa: RUF012 - litestar reads it as a class attribute

    @post(
        "/unlock",
        status_code=200,
        summary="Unlock a backup with its passphrase; returns a session token",
        responses=errors(400, 401, 404, 409, 413, 429, 503),
    )
    async def unlock(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        data: Annotated[
            UnlockIn | None, Body(description="omit `password` for an unencrypted backup")
        ] = None,
    ) -> UnlockOut:
        unlocked = await sessions.unlock(backup_id, data.password if data else None)
        return UnlockOut(session_token=unlocked.session_token, ttl_seconds=unlocked.ttl_seconds)

    @post(
        "/lock",
        status_code=204,
        summary="End the session and forget its keys (idempotent)",
        responses=errors(400, 401, 403, 404, 503),
    )
    async def lock(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        session_token: SessionHeader = None,
    ) -> None:
        await sessions.lock(backup_id, session_token)
