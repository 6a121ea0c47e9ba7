from dishka import FromDishka
from litestar import Controller, Response, get
from litestar.openapi import ResponseSpec

from ios_backup_api.domain.errors import CatalogUnavailableError
from ios_backup_api.domain.ports.catalog import BackupCatalog
from ios_backup_api.entrypoints.http.schemas import HealthOut, ReadinessOut


class HealthController(Controller):
    tags = ["health"]  # noqa: RUF012 - litestar reads it as a class attribute

    @get("/healthz", summary="Liveness: the process serves requests")
    async def healthz(self) -> HealthOut:
        return HealthOut(status="ok")

    @get(
        "/readyz",
        summary="Readiness: the catalog database answers",
        responses={503: ResponseSpec(ReadinessOut, description="The catalog database is unavailable")},
    )
    async def readyz(self, catalog: FromDishka[BackupCatalog]) -> Response[ReadinessOut]:
        try:
            await catalog.ping()
        except CatalogUnavailableError as error:
            return Response(ReadinessOut(status="unavailable", database=str(error)), status_code=503)
        return Response(ReadinessOut(status="ok", database="ok"))
