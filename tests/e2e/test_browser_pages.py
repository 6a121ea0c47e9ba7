"""A person in headless Chromium, on the service served from the installed wheel: sign in, list, unlock,
browse, search, download, lock, sign out; preview, play and seek, read a thread, see the photo grid,
download a folder as ZIP; each step checked on what the page shows. A form another site posts changes
nothing, and the pages work without script."""

import html
import shutil
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from ios_backup_api.adapters.backup_writer.apps.phone import with_apps
from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, encrypted_spec, plain_spec
from tests.support.browser import SCREENSHOTS, chromium_path, foreign_site
from tests.support.preview_files import DOMAIN, FOLDER, SOUND_SECONDS, with_preview_files
from tests.support.server import RunningServer, running_server, service_env

TOKEN = "browser-test-token-0123456789abcdef"
NOTES = "AppDomain-com.example.notes"
PLAIN_SPEC = with_apps(with_preview_files(plain_spec()), 16, wal=False, seed=16)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two samples, the unencrypted one with the apps of the typed views and files to preview."""
    folder = tmp_path_factory.mktemp("browser-backups")
    write_backup(folder / ENCRYPTED_ID, encrypted_spec(), seed=7)
    write_backup(folder / PLAIN_ID, PLAIN_SPEC, seed=7)
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

    _nothing_foreign_nor_secret(visit, server)
    assert any(url.endswith("/ui/static/ui.css") for url in visit.requested), "the page's style came with it"


def _media_state(page: Page, selector: str) -> dict[str, float]:
    return page.eval_on_selector(  # type: ignore[no-any-return]
        selector, "el => ({time: el.currentTime, duration: el.duration, paused: el.paused ? 1 : 0})"
    )


def test_a_person_previews_plays_reads_a_thread_sees_photos_and_downloads_a_folder(
    visit: Visit, server: RunningServer, tmp_path: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = _sign_in(visit, TOKEN)
    page.get_by_role("row", name=PLAIN_ID).get_by_role("link", name="Unlock").click()
    # the unlock says it is working while its post runs (the post held back here, to look at it)
    visit.seen().evaluate("document.forms[1].addEventListener('submit', e => e.preventDefault())")
    expect(page.get_by_role("status")).to_be_hidden()
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("status")).to_have_text(
        "Checking the passphrase; this page changes when it is done."
    )
    expect(page.get_by_role("button", name="Unlock")).to_be_disabled()
    page.reload()
    page.get_by_role("button", name="Unlock").click()
    expect(visit.seen().get_by_role("heading", name="Domains")).to_be_visible()

    # a picture, a binary plist, a sound played and sought
    page.get_by_role("link", name=DOMAIN, exact=True).click()
    expect(visit.seen().locator("#count")).to_have_text("1–2 of 2 entries in this domain")
    page.get_by_role("link", name=f"{FOLDER}/", exact=True).click()
    page.get_by_role("link", name="Picture.png", exact=True).click()
    picture = visit.seen().get_by_role("img", name="Picture.png")
    expect(picture).to_be_visible()
    page.wait_for_function("() => document.querySelector('#preview-image').complete")
    assert picture.evaluate("el => [el.naturalWidth, el.naturalHeight]") == [48, 32]
    page.go_back()
    visit.seen().get_by_role("link", name="Settings.plist", exact=True).click()
    preview = visit.seen().locator("#preview-text")
    expect(page.get_by_text("Decoded from a binary property list.")).to_be_visible()
    expect(preview).to_contain_text("<key>Volume</key>")
    expect(preview).to_contain_text("<integer>7</integer>")
    expect(preview).to_contain_text("<string>Ada</string>")
    page.go_back()
    answers: list[tuple[str, int, str | None]] = []
    page.on("response", lambda r: answers.append((r.url, r.status, r.request.headers.get("range"))))
    visit.seen().get_by_role("link", name="Tone.wav", exact=True).click()
    visit.seen()
    page.wait_for_function("() => document.querySelector('#preview-audio').readyState >= 1")
    assert _media_state(page, "#preview-audio")["duration"] == pytest.approx(SOUND_SECONDS, abs=0.01)
    page.eval_on_selector("#preview-audio", "el => { el.muted = true; return el.play(); }")
    page.wait_for_function("() => document.querySelector('#preview-audio').currentTime > 0.2")
    assert _media_state(page, "#preview-audio")["paused"] == 0
    page.eval_on_selector("#preview-audio", "el => { el.pause(); el.currentTime = 4.5; }")
    page.wait_for_function("() => !document.querySelector('#preview-audio').seeking")
    assert _media_state(page, "#preview-audio")["time"] == pytest.approx(4.5, abs=0.05)
    sound = [answer for answer in answers if "/file/" in answer[0]]
    assert sound, "the player fetched the sound from the page's file route"
    assert all(status == 206 and ranged is not None for _, status, ranged in sound), sound

    # a thread and its attachments, the photo grid
    page.get_by_role("link", name="Apps").click()
    visit.seen().get_by_role("link", name="Messages").click()
    visit.seen().get_by_role("link", name="+14155550101", exact=True).click()
    expect(visit.seen().get_by_role("heading", level=1)).to_have_text("+14155550101")
    attachment = page.get_by_role("img", name="Café au lait.jpeg")
    expect(attachment).to_be_visible()
    page.wait_for_function("() => [...document.images].every(img => img.complete)")
    assert attachment.evaluate("el => el.naturalWidth") > 0
    expect(page.get_by_role("link", name="Anna Müller.vcf")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "messages.png")
    page.get_by_role("link", name="Apps").click()
    visit.seen().get_by_role("link", name="Photos").click()
    grid = visit.seen().get_by_role("list", name="Photos and videos, newest first")
    expect(grid.get_by_role("img")).to_have_count(9)
    page.wait_for_function("() => [...document.images].every(img => img.complete)")
    widths = grid.get_by_role("img").evaluate_all("imgs => imgs.map(img => img.naturalWidth)")
    assert all(width > 0 for width in widths), "every thumbnail is a picture the browser decoded"
    expect(grid.get_by_role("listitem").filter(has_text="IMG_0010.HEIC")).to_contain_text("Not in the backup")
    page.screenshot(path=SCREENSHOTS / "photos.png")

    # a folder as one ZIP
    page.goto(f"/ui/backups/{PLAIN_ID}/files?domain={DOMAIN}&folder={FOLDER}")
    with page.expect_download() as downloading:
        visit.seen().get_by_role("link", name="Download this folder as ZIP").click()
    download = downloading.value
    assert download.suggested_filename == f"{PLAIN_ID}-{DOMAIN}-{FOLDER}.zip"
    expected = {
        f"{e.domain}/{e.relative_path}": e.content
        for e in PLAIN_SPEC.all_entries()
        if isinstance(e, SyntheticFile) and e.domain == DOMAIN and e.relative_path.startswith(f"{FOLDER}/")
    }
    with zipfile.ZipFile(download.path()) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == expected
    _nothing_foreign_nor_secret(visit, server)


def test_the_pages_work_without_script(chromium: Browser, server: RunningServer) -> None:
    context = chromium.new_context(base_url=server.url, java_script_enabled=False)
    visit = Visit(context)
    page = _sign_in(visit, TOKEN)
    page.get_by_role("row", name=PLAIN_ID).get_by_role("link", name="Unlock").click()
    page.get_by_role("button", name="Unlock").click()
    expect(visit.seen().get_by_role("heading", name="Domains")).to_be_visible()
    context.close()


def _nothing_foreign_nor_secret(visit: Visit, server: RunningServer) -> None:
    """Every request went to the service itself; the token and passphrase are in no URL, page or log line."""
    origin = urlsplit(server.url)[:2]
    assert [url for url in visit.requested if urlsplit(url)[:2] != origin] == []
    assert [url for url in visit.requested if TOKEN in url or PASSPHRASE in url] == []
    assert [p for p in visit.pages if TOKEN in html.unescape(p) or PASSPHRASE in html.unescape(p)] == []
    logged = server.log.read_text(errors="replace")
    assert TOKEN not in logged
    assert PASSPHRASE not in logged


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
