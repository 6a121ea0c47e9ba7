"""Every page works on a machine with no network: what it loads comes from the service itself."""

import zipfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from litestar.testing import AsyncTestClient

from ios_backup_api.entrypoints.web.assets import STATIC_FOLDER
from tests.support.pages import css_references, foreign, html_references

ORIGIN = "http://testserver.local"


async def _everything_loaded(client: AsyncTestClient, page: str) -> dict[str, str]:  # type: ignore[type-arg]
    """The page and what it loads, stylesheets followed, by URL: each must answer 200."""
    seen: dict[str, str] = {}
    todo = [urljoin(ORIGIN, page)]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        response = await client.get(urlsplit(url).path)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        seen[url] = response.text if "text" in response.headers.get("content-type", "") else ""
        if url.endswith(".css"):
            found = css_references(response.text)
        elif "html" in response.headers.get("content-type", ""):
            found = html_references(response.text)
        else:
            found = []
        assert foreign(found, url) == [], f"{url} loads from another origin"
        todo.extend(urljoin(url, ref) for ref in found if not ref.startswith(("data:", "#")))
    return seen


async def test_swagger_ui_loads_nothing_from_another_origin(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    loaded = await _everything_loaded(client, "/schema/swagger")
    assert {urlsplit(url).path for url in loaded} >= {
        "/schema/swagger",
        "/ui/static/swagger-ui/swagger-ui-bundle.js",
        "/ui/static/swagger-ui/swagger-ui-standalone-preset.js",
        "/ui/static/swagger-ui/swagger-ui.css",
        "/ui/static/swagger-ui/favicon-32x32.png",
    }


def test_the_reference_finder_sees_a_foreign_url() -> None:
    """The check above can fail: a CDN script, stylesheet or CSS url() is caught."""
    html = (
        '<script src="https://cdn.example/x.js"></script><link href="//cdn.example/y.css">'
        '<div style="background:url(https://cdn.example/z.png)"></div><img src="/ok.png">'
        "<style>@import 'https://cdn.example/w.css';</style>"
    )
    assert foreign(html_references(html), ORIGIN + "/") == [
        "https://cdn.example/x.js",
        "//cdn.example/y.css",
        "https://cdn.example/z.png",
        "https://cdn.example/w.css",
    ]


def test_the_wheel_ships_every_static_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    expected = {
        "ios_backup_api/entrypoints/web/static/" + str(path.relative_to(STATIC_FOLDER))
        for path in STATIC_FOLDER.rglob("*")
        if path.is_file()
    }
    assert expected
    assert expected - shipped == set()


async def test_the_sign_in_page_loads_nothing_from_another_origin(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    """The signed-in pages are checked in a real browser (tests/e2e/test_browser_pages.py)."""
    loaded = await _everything_loaded(client, "/ui/sign-in")
    assert {urlsplit(url).path for url in loaded} >= {"/ui/sign-in", "/ui/static/ui.css"}
