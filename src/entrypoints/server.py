"""Run the app under uvicorn on the configured host and port."""

import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from litestar import Litestar

from ios_backup_api.entrypoints.app import create_app
from ios_backup_api.entrypoints.connections import h11_with_limits
from ios_backup_api.entrypoints.http.stream_end import UvicornsLineOnIt
from ios_backup_api.entrypoints.log_limits import limit_repeats
from ios_backup_api.entrypoints.settings import Settings


def serve(settings: Settings) -> None:
    server = settings.server
    config = uvicorn.Config(
        _freezing_objects_after_startup(create_app(settings)),
        host=server.host,
        port=server.port,
        # The protocol named, not uvicorn's pick by what is installed (httptools would replace h11).
        http=h11_with_limits(server.request_read_timeout_seconds, server.max_connections),
        ws="none",  # no WebSocket routes; an upgrade would hand the connection to a protocol without limits
        timeout_keep_alive=server.keep_alive_timeout_seconds,
        log_level="info",
        access_log=False,
        server_header=False,
    )
    logging.getLogger("uvicorn.error").addFilter(UvicornsLineOnIt())
    # Once uvicorn's loggers have their handlers, which building its Config gave them.
    limit_repeats(server.log_repeat_limit, server.log_repeat_interval_seconds)
    uvicorn.Server(config).run()


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
