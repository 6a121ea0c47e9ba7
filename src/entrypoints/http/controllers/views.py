from dishka import FromDishka
from litestar import Controller, get

from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.openapi import BackupId, errors
from ios_backup_api.entrypoints.http.view_schemas import ViewListOut, ViewOut


class ViewsController(Controller):
    path = "/backups/{backup_id:str}/views"
    tags = ["views"]  # noqa: RUF012 - litestar reads it as a class attribute

    @get(
        "/",
        summary="The typed views, in order, each with whether the backup has its app's database",
        responses=errors(401, 403, 404, 409, 503),
    )
    async def views(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        session_token: SessionHeader = None,
    ) -> ViewListOut:
        session = await sessions.resolve(backup_id, session_token)
        return ViewListOut([ViewOut.of(view) for view in await views.available(session.opened)])
