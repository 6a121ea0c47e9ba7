"""`create_app`: the Litestar application, wired to a dishka container."""

import asyncio
import logging
import secrets
import sys
from typing import Any

from dishka import STRICT_VALIDATION, Provider, make_async_container
from dishka.integrations.litestar import DishkaRouter, setup_dishka
from litestar import Litestar
from litestar.datastructures import State
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from ios_backup_api.domain.errors import DomainError
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.entrypoints.http.auth import API_TOKEN_HEADER, api_token_guard
from ios_backup_api.entrypoints.http.controllers.archive import ArchiveController
from ios_backup_api.entrypoints.http.controllers.backups import BackupsController
from ios_backup_api.entrypoints.http.controllers.chat_views import MessagesController, WhatsAppController
from ios_backup_api.entrypoints.http.controllers.content import ContentController
from ios_backup_api.entrypoints.http.controllers.health import HealthController
from ios_backup_api.entrypoints.http.controllers.manifest import ManifestController
from ios_backup_api.entrypoints.http.controllers.media_views import MediaController
from ios_backup_api.entrypoints.http.controllers.people_views import PeopleController
from ios_backup_api.entrypoints.http.controllers.sessions import SessionsController
from ios_backup_api.entrypoints.http.controllers.views import ViewsController
from ios_backup_api.entrypoints.http.errors import STATUS_OF, domain_error_handler, range_error_handler
from ios_backup_api.entrypoints.http.headers import add_response_headers
from ios_backup_api.entrypoints.http.ranges import RangeNotSatisfiableError
from ios_backup_api.entrypoints.http.requests import JsonErrorsAre400Request
from ios_backup_api.entrypoints.ioc import default_providers
from ios_backup_api.entrypoints.settings import Settings
from ios_backup_api.entrypoints.startup import DatabaseWait, start
from ios_backup_api.entrypoints.web.assets import offline_swagger, static_files
from ios_backup_api.entrypoints.web.rendering import template_config
from ios_backup_api.entrypoints.web.routes import web_routers
from ios_backup_api.entrypoints.web.signin import BrowserSignIn

logger = logging.getLogger("ios_backup_api")
_SWEEP_INTERVAL_SECONDS = 30
_MAX_REQUEST_BODY_BYTES = 64 * 1024  # the only body is an unlock's passphrase (1024 characters at most)


def create_app(
    settings: Settings, *override_providers: Provider, database_wait: DatabaseWait | None = None
) -> Litestar:
    """The app on `settings`; providers given here replace the defaults' bindings (tests swap adapters).

    At start it waits up to `database_wait` for an unreachable catalog database, then fails the start.
    """
    api_token = settings.security.api_token or generated_token()
    database_wait = database_wait or DatabaseWait(total_seconds=settings.database.start_timeout_seconds)
    container = make_async_container(
        *default_providers(),
        *override_providers,
        context={Settings: settings},
        validation_settings=STRICT_VALIDATION,
    )

    started: list[bool] = []

    async def scan_once() -> None:
        backups = await start(
            container, database_wait, settings.database.url, settings.database.migrate_on_start
        )
        started.append(True)
        logger.info("Found %d backup(s) under %s", len(backups), settings.backup_paths.base_path)

    sweeper: list[asyncio.Task[None]] = []

    async def sweep_expired_sessions() -> None:
        sessions = await container.get(SessionLifecycle)
        while True:
            await asyncio.sleep(_SWEEP_INTERVAL_SECONDS)
            try:
                await sessions.end_expired()
            except DomainError as error:  # e.g. the session database is away: try again next round
                logger.warning("Could not end expired sessions: %s", error)
            except Exception:  # the sweeper must outlive any one failure
                logger.exception("Ending expired sessions failed")

    async def start_sweeper() -> None:
        sweeper.append(asyncio.create_task(sweep_expired_sessions()))

    async def close_container() -> None:
        for task in sweeper:
            task.cancel()
        if started:  # a start that failed built no service, and its database may still be away
            sessions = await container.get(SessionLifecycle)
            await sessions.end_all()
        await container.close()

    public = DishkaRouter(path="/", route_handlers=[HealthController])
    protected = DishkaRouter(
        path="/",
        route_handlers=[
            BackupsController,
            SessionsController,
            ManifestController,
            ContentController,
            ArchiveController,
            ViewsController,
            MessagesController,
            WhatsAppController,
            PeopleController,
            MediaController,
        ],
        guards=[api_token_guard(api_token)],
        security=[{"ApiToken": []}],
    )
    app = Litestar(
        route_handlers=[public, static_files(), protected, *web_routers()],
        state=State({"browser_sign_in": BrowserSignIn(api_token)}),
        template_config=template_config(),
        on_startup=[scan_once, start_sweeper],
        on_shutdown=[close_container],
        before_send=[add_response_headers],
        exception_handlers={
            DomainError: domain_error_handler,
            RangeNotSatisfiableError: range_error_handler,
        },
        openapi_config=_openapi(),
        request_max_body_size=_MAX_REQUEST_BODY_BYTES,
        request_class=JsonErrorsAre400Request,
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            log_exceptions="always",
            # Litestar matches the exact exception type or a `status_code` attribute, which the domain's
            # errors lack: the mapped ones are named, so answers like a 404 are not logged as crashes.
            disable_stack_trace={
                400,
                401,
                403,
                404,
                405,
                409,
                413,
                416,
                429,
                503,
                *STATUS_OF,
                RangeNotSatisfiableError,
            },
        ),
        debug=False,
    )
    setup_dishka(container, app)
    return app


def generated_token() -> str:
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
        render_plugins=[offline_swagger()],
        components=Components(security_schemes=scheme),
    )
