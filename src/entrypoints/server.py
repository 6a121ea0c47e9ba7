"""Run the app under uvicorn on the configured host and port."""

import gc
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from litestar import Litestar

from ios_backup_api.entrypoints.app import create_app
from ios_backup_api.entrypoints.settings import Settings


def serve(settings: Settings) -> None:
    config = uvicorn.Config(
        _freezing_objects_after_startup(create_app(settings)),
        host=settings.server.host,
        port=settings.server.port,
        log_level="info",
        access_log=False,
        server_header=False,
    )
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
