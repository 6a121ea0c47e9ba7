"""`create_app`: the Litestar application, wired to a dishka container."""

import asyncio
import logging
import secrets
import sys
from typing import Any

from dishka import Provider, make_async_container
from dishka.integrations.litestar import DishkaRouter, setup_dishka
from litestar import Litestar
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from domain.errors import DomainError
from domain.services.discovery import BackupDiscovery
from domain.services.unlocking import UnlockService
from entrypoints.http.auth import API_TOKEN_HEADER, api_token_guard
from entrypoints.http.controllers.backups import BackupsController
from entrypoints.http.controllers.content import ContentController
from entrypoints.http.controllers.health import HealthController
from entrypoints.http.controllers.manifest import ManifestController
from entrypoints.http.controllers.sessions import SessionsController
from entrypoints.http.errors import domain_error_handler
from entrypoints.ioc import default_providers
from entrypoints.settings import Settings

logger = logging.getLogger("ios_backup_api")
_SWEEP_INTERVAL_SECONDS = 30


def create_app(settings: Settings, *override_providers: Provider) -> Litestar:
    """The app on `settings`; providers given here replace the defaults' bindings (tests swap adapters)."""
    api_token = settings.security.api_token or _generated_token()
    container = make_async_container(
        *default_providers(), *override_providers, context={Settings: settings}, skip_validation=True
    )

    async def scan_once() -> None:
        discovery = await container.get(BackupDiscovery)
        backups = await discovery.refresh()
        logger.info("Found %d backup(s) under %s", len(backups), settings.backup_paths.base_path)

    sweeper: list[asyncio.Task[None]] = []

    async def sweep_expired_sessions() -> None:
        unlocking = await container.get(UnlockService)
        while True:
            await asyncio.sleep(_SWEEP_INTERVAL_SECONDS)
            await unlocking.end_expired()

    async def start_sweeper() -> None:
        sweeper.append(asyncio.create_task(sweep_expired_sessions()))

    async def close_container() -> None:
        for task in sweeper:
            task.cancel()
        unlocking = await container.get(UnlockService)
        await unlocking.end_all()
        await container.close()

    public = DishkaRouter(path="/", route_handlers=[HealthController])
    protected = DishkaRouter(
        path="/",
        route_handlers=[BackupsController, SessionsController, ManifestController, ContentController],
        guards=[api_token_guard(api_token)],
        security=[{"ApiToken": []}],
    )
    app = Litestar(
        route_handlers=[public, protected],
        on_startup=[scan_once, start_sweeper],
        on_shutdown=[close_container],
        exception_handlers={DomainError: domain_error_handler},
        openapi_config=_openapi(),
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            log_exceptions="always",
            disable_stack_trace={400, 401, 403, 404, 409, 416, 429, 503},
        ),
        debug=False,
    )
    setup_dishka(container, app)
    return app


def _generated_token() -> str:
    token = secrets.token_urlsafe(32)
    # Printed once, on purpose and not through logging, so a first run works without configuration.
    print(
        f"No IOS_BACKUP_SECURITY__API_TOKEN is set; this run's API token is: {token}",
        file=sys.stderr,
        flush=True,
    )
    return token


def _openapi() -> OpenAPIConfig:
    scheme: dict[str, Any] = {
        "ApiToken": SecurityScheme(type="apiKey", name=API_TOKEN_HEADER, security_scheme_in="header")
    }
    return OpenAPIConfig(
        title="ios-backup-api",
        version="0.1.0",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin(path="/swagger")],
        components=Components(security_schemes=scheme),
    )
