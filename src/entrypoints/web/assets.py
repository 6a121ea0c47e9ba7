"""Every script, style and picture a page loads, served from the installed package: nothing from a CDN."""

from pathlib import Path

from litestar import Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

STATIC_FOLDER = Path(__file__).with_name("static")
STATIC_PATH = "/ui/static"
_SWAGGER = f"{STATIC_PATH}/swagger-ui"


def static_files() -> Router:
    """The files under `static/`, public: the sign-in page needs its style before anyone signs in."""
    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC_FOLDER],
        name="ui-static",
        include_in_schema=False,
        cache_control=None,
    )


def offline_swagger() -> SwaggerRenderPlugin:
    """Swagger UI from the vendored `swagger-ui-dist` (static/swagger-ui/VERSION says which)."""
    return SwaggerRenderPlugin(
        path="/swagger",
        js_url=f"{_SWAGGER}/swagger-ui-bundle.js",
        css_url=f"{_SWAGGER}/swagger-ui.css",
        standalone_preset_js_url=f"{_SWAGGER}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{_SWAGGER}/favicon-32x32.png'>",
    )
