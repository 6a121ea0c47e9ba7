from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, Response, get

from ios_backup_api.domain.manifest import FileId
from ios_backup_api.domain.ports.pictures import PictureConversion
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.openapi import BackupId, FileIdParam
from ios_backup_api.entrypoints.web.pages.browse import session_of


class PicturePage(Controller):
    """A HEIC picture as a JPEG for an `<img>`, authenticated by the page's cookie."""

    path = "/ui/backups/{backup_id:str}"
    include_in_schema = False

    @get("/picture/{file_id:str}")
    async def picture(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        file_id: FileIdParam,
        sessions: FromDishka[SessionLifecycle],
        pictures: FromDishka[PictureConversion],
    ) -> Response[bytes]:
        wanted_id = FileId(file_id)
        session = await session_of(request, backup_id, sessions)
        jpeg = await pictures.as_jpeg(session.opened, wanted_id)
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
