from dishka import FromDishka
from litestar import Controller, get, post

from ios_backup_api.domain.services.discovery import BackupDiscovery
from ios_backup_api.entrypoints.http.openapi import errors
from ios_backup_api.entrypoints.http.schemas import BackupListOut


class BackupsController(Controller):
    path = "/backups"
    tags = ["backups"]  # noqa: RUF012 - litestar reads it as a class attribute

    @get("/", summary="Every backup under the base path, newest first", responses=errors(401, 503))
    async def list_backups(self, discovery: FromDishka[BackupDiscovery]) -> BackupListOut:
        return BackupListOut.of(await discovery.list_backups())

    @post(
        "/refresh",
        status_code=200,
        summary="Rescan the base path and return the new list",
        responses=errors(401, 503),
    )
    async def refresh(self, discovery: FromDishka[BackupDiscovery]) -> BackupListOut:
        return BackupListOut.of(await discovery.refresh())
