"""Run the app under uvicorn on the configured host and port."""

import uvicorn

from entrypoints.app import create_app
from entrypoints.settings import Settings


def serve(settings: Settings) -> None:
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level="info",
        access_log=False,
        server_header=False,
    )
    uvicorn.Server(config).run()
