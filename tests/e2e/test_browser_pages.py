"""A person in headless Chromium, on the service served from the installed wheel: sign in, list, unlock,
browse, search, download, lock, sign out, each step checked on what the page shows; and a form another site
posts changes nothing."""

import html
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, plain_spec, write_samples
from tests.support.browser import SCREENSHOTS, chromium_path, foreign_site
from tests.support.server import RunningServer, running_server, service_env

TOKEN = "browser-test-token-0123456789abcdef"
NOTES = "AppDomain-com.example.notes"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser-backups")
    write_samples(folder)
    return folder


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    base: Path,
    wheel_script: Path,
) -> Iterator[RunningServer]:
    """One server for the module, from the wheel installed in a fresh virtual environment."""
    scratch = tmp_path_factory.mktemp("browser-server")
    env = service_env(base, TOKEN, scratch)
    with running_server(env, scratch, scratch / "server.log", script=wheel_script) as running:
        yield running


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


class Visit:
    """One person's browser: every URL it requested and every page's HTML, to look for the token in."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.requested: list[str] = []
        self.pages: list[str] = []
        context.on("request", lambda request: self.requested.append(request.url))
        self.page = context.new_page()

    def seen(self) -> Page:
        """The page as it is now, its HTML kept. A navigation the last action started may begin only now
        (a loaded machine): the HTML is taken once it has loaded."""
        for _ in range(100):
            self.page.wait_for_load_state()
            try:
                self.pages.append(self.page.content())
                return self.page
            except PlaywrightError as error:
                if "navigating" not in str(error):
                    raise
        raise AssertionError("the page kept navigating")


@pytest.fixture
def visit(chromium: Browser, server: RunningServer) -> Iterator[Visit]:
    context = chromium.new_context(
        base_url=server.url, accept_downloads=True, viewport={"width": 1200, "height": 760}
    )
    yield Visit(context)
    context.close()


def _sign_in(visit: Visit, token: str) -> Page:
    page = visit.page
    page.goto("/")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    return visit.seen()


def test_a_person_reads_a_file_from_an_encrypted_backup(visit: Visit, server: RunningServer) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = visit.page
    page.goto("/")
    expect(visit.seen()).to_have_url(f"{server.url}/ui/sign-in")

    _sign_in(visit, "not the token")
    expect(page.get_by_role("alert")).to_have_text(
        "That is not this service's API token; nothing was signed in."
    )
    # by keyboard alone: the form shown again has the focus in its field, Enter sends it
    expect(page.get_by_label("API token")).to_be_focused()
    page.keyboard.type(TOKEN)
    page.keyboard.press("Enter")
    expect(visit.seen().get_by_role("heading", name="Backups")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to the content")
    rows = page.get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("Grace's iPad")
    expect(page.get_by_role("row", name=ENCRYPTED_ID)).to_contain_text("Yes")
    page.screenshot(path=SCREENSHOTS / "backups.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=SCREENSHOTS / "backups-phone.png")
    page.set_viewport_size({"width": 1200, "height": 760})

    page.get_by_role("row", name=ENCRYPTED_ID).get_by_role("link", name="Unlock").click()
    page.get_by_label("Backup passphrase").fill("not the passphrase")
    page.get_by_role("button", name="Unlock").click()
    expect(visit.seen().get_by_role("alert")).to_have_text("The passphrase does not unlock this backup.")
    page.get_by_label("Backup passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Unlock").click()
    expect(visit.seen().get_by_role("heading", name="Domains")).to_be_visible()

    page.get_by_role("link", name=NOTES, exact=True).click()
    page.get_by_role("link", name="Documents/", exact=True).click()
    expect(visit.seen().get_by_role("heading", level=1)).to_have_text("Documents")
    expect(page.locator("#count")).to_have_text("1–5 of 5 entries in this folder")
    page.screenshot(path=SCREENSHOTS / "folder.png")

    page.get_by_label("Search in Documents").fill("brûlée")
    page.get_by_role("button", name="Search").click()
    expect(visit.seen().locator("#count")).to_have_text("1–1 of 1 entries under this folder")
    page.get_by_role("link", name=unicodedata.normalize("NFD", "Crème brûlée.txt")).click()
    expect(visit.seen().get_by_role("heading", level=1)).to_have_text(
        unicodedata.normalize("NFD", "Crème brûlée.txt")
    )
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download").click()
    download = downloading.value
    [expected] = [
        e.content
        for e in plain_spec().all_entries()
        if isinstance(e, SyntheticFile) and "brûlée" in unicodedata.normalize("NFC", e.relative_path)
    ]
    assert Path(download.path()).read_bytes() == expected
    assert unicodedata.normalize("NFC", download.suggested_filename) == "Crème brûlée.txt"

    page.get_by_role("button", name="Lock").click()
    expect(visit.seen().get_by_role("heading", name="Backups")).to_be_visible()
    expect(page.get_by_role("row", name=ENCRYPTED_ID).get_by_role("link", name="Unlock")).to_be_visible()
    page.goto(f"/ui/backups/{ENCRYPTED_ID}/files?domain={NOTES}")
    expect(visit.seen().get_by_label("Backup passphrase")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(visit.seen().get_by_label("API token")).to_be_visible()
    assert visit.context.cookies() == []
    page.goto("/ui")
    expect(visit.seen()).to_have_url(f"{server.url}/ui/sign-in")

    origin = urlsplit(server.url)[:2]
    assert [url for url in visit.requested if urlsplit(url)[:2] != origin] == []
    assert [url for url in visit.requested if TOKEN in url or PASSPHRASE in url] == []
    assert [p for p in visit.pages if TOKEN in html.unescape(p) or PASSPHRASE in html.unescape(p)] == []
    logged = server.log.read_text(errors="replace")
    assert TOKEN not in logged
    assert PASSPHRASE not in logged
    assert any(url.endswith("/ui/static/ui.css") for url in visit.requested), "the page's style came with it"


def _attack(target: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input name="{name}" value="{value}">' for name, value in fields.items())
    return f'<form method="post" action="{target}">{inputs}</form><script>document.forms[0].submit()</script>'


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"], ids=["same site, other origin", "another site"])
def test_a_form_from_another_site_cannot_unlock_lock_or_refresh(
    visit: Visit, server: RunningServer, base: Path, host: str
) -> None:
    page = _sign_in(visit, TOKEN)
    page.get_by_role("row", name=PLAIN_ID).get_by_role("link", name="Unlock").click()
    page.get_by_role("button", name="Unlock").click()
    expect(visit.seen().get_by_role("heading", name="Domains")).to_be_visible()
    shutil.copytree(base / PLAIN_ID, base / "copied-later")  # what a refresh would find
    pages = {
        "/unlock": _attack(
            f"{server.url}/ui/backups/{ENCRYPTED_ID}/unlock", {"password": PASSPHRASE, "csrf": "x"}
        ),
        "/lock": _attack(f"{server.url}/ui/backups/{PLAIN_ID}/lock", {"csrf": "x"}),
        "/refresh": _attack(f"{server.url}/ui/refresh", {"csrf": "x"}),
    }
    with foreign_site(pages) as port:
        for path in pages:
            page.goto(f"http://{host}:{port}{path}")
            page.wait_for_url(f"{server.url}/**")
            shown = visit.seen().locator("main")
            expect(shown).to_contain_text("nothing was changed" if host == "127.0.0.1" else "Sign in")
    page.goto("/ui")
    expect(visit.seen().get_by_role("row", name=PLAIN_ID).get_by_role("link", name="Browse")).to_be_visible()
    expect(page.get_by_role("row", name=ENCRYPTED_ID).get_by_role("link", name="Unlock")).to_be_visible()
    expect(page.get_by_role("row", name="copied-later")).to_have_count(0)
    page.goto(f"/ui/backups/{PLAIN_ID}/files")
    expect(visit.seen().get_by_role("heading", name="Domains")).to_be_visible()
    shutil.rmtree(base / "copied-later")
