"""Run the app under uvicorn on the configured host and port: in this process, or in several worker processes
that share the one listening socket (uvicorn's supervisor binds it, starts the workers and replaces one that
dies).

Workers share what several instances share (see docs/DEPLOYMENT.md): sessions and failed unlocks in the
catalog database, and the API token. A worker that is asked for a session another worker unlocked reopens
the backup from the session's sealed key; a lock in one worker ends the session's record, which every worker
reads on each request.
"""

import gc
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import uvicorn
from litestar import Litestar
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

from ios_backup_api.entrypoints.app import create_app, generated_token
from ios_backup_api.entrypoints.connections import h11_with_limits
from ios_backup_api.entrypoints.http.stream_end import UvicornsLineOnIt
from ios_backup_api.entrypoints.log_limits import limit_repeats
from ios_backup_api.entrypoints.settings import Settings


def serve(settings: Settings) -> None:
    server = settings.server
    workers = server.worker_count()
    if workers > 1 and settings.security.api_token is None:
        # One token for all the workers, printed once.
        security = msgspec.structs.replace(settings.security, api_token=generated_token())
        settings = msgspec.structs.replace(settings, security=security)
    config = uvicorn.Config(
        AppOfSettings(settings),
        factory=True,
        host=server.host,
        port=server.port,
        # The protocol named, not uvicorn's pick by what is installed (httptools would replace h11); a partial
        # of its class, which uvicorn calls as it calls a class.
        http=h11_with_limits(server.request_read_timeout_seconds, server.max_connections),  # type: ignore[arg-type]
        ws="none",  # no WebSocket routes; an upgrade would hand the connection to a protocol without limits
        timeout_keep_alive=server.keep_alive_timeout_seconds,
        log_level="info",
        access_log=False,
        server_header=False,
        workers=workers,
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        sys.exit(STARTUP_FAILURE)  # as one process exits when its start fails (an unreachable database)


class AppOfSettings:
    """The app factory each worker calls once it runs (uvicorn's `factory`): picklable, so that the
    supervisor hands it to worker processes it starts afresh."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self) -> "AsgiApp":
        server = self.settings.server
        app = create_app(self.settings)
        # Once uvicorn's loggers and the app's have their handlers, which they were given in this process.
        logging.getLogger("uvicorn.error").addFilter(UvicornsLineOnIt())
        limit_repeats(server.log_repeat_limit, server.log_repeat_interval_seconds)
        return _freezing_objects_after_startup(app)


AsgiApp = Callable[[Any, Any, Any], Awaitable[None]]


def _freezing_objects_after_startup(app: Litestar) -> AsgiApp:
    """The app, which moves every object alive once it has started out of the garbage collector's sight.

    They live as long as the process (routes, schemas, the container, the imported modules: ≈100,000), and
    each full collection walked them all, holding the GIL for 20 to 50 ms: the event loop stalled meanwhile.
    """

    async def app_with_frozen_startup(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_after_startup(message: Any) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc.collect()
                gc.freeze()
            await send(message)

        await app(scope, receive, send_after_startup)

    return app_with_frozen_startup
