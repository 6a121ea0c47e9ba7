"""The pages' sign-in over HTTP: cookies fit for a browser, forms that another site cannot post, and an
API that never reads a cookie."""

import html
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient

from ios_backup_api.entrypoints.app import create_app
from ios_backup_api.entrypoints.web.cookies import SIGN_IN_COOKIE, session_cookie_name
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID
from tests.support.web import csrf_of, signed_in

Client = AsyncTestClient  # type: ignore[type-arg]
FOREIGN = {"Origin": "http://attacker.example"}


@pytest.fixture
async def browser(base_path: Path, tmp_path: Path) -> AsyncIterator[Client]:
    """A client without the API token header: what a browser sends."""
    settings = settings_for(
        base_path, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}", UNLOCK__FREE_ATTEMPTS="1"
    )
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


def shown(response: object) -> str:
    """The page's text as a person reads it (entities decoded)."""
    return html.unescape(response.text)  # type: ignore[attr-defined]


def _set_cookies(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined, no-any-return]


async def test_the_root_leads_to_the_pages_and_they_to_the_sign_in(browser: Client) -> None:
    assert (await browser.get("/", follow_redirects=False)).headers["location"] == "/ui"
    response = await browser.get("/ui", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/ui/sign-in")
    form = await browser.get("/ui/sign-in")
    assert '<form method="post" action="/ui/sign-in">' in shown(form)
    assert 'name="token"' in shown(form)


async def test_a_wrong_token_signs_nobody_in(browser: Client) -> None:
    response = await browser.post("/ui/sign-in", data={"token": API_TOKEN + "x"})
    assert response.status_code == 401
    assert "That is not this service's API token" in shown(response)
    assert _set_cookies(response) == []
    assert (await browser.get("/ui", follow_redirects=False)).status_code == 303


@pytest.mark.parametrize(("scheme", "secure"), [("http", False), ("https", True)])
async def test_the_sign_in_cookie_is_httponly_strict_and_secure_over_https(
    base_path: Path, tmp_path: Path, scheme: str, secure: bool
) -> None:
    settings = settings_for(base_path, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}")
    async with AsyncTestClient(create_app(settings), base_url=f"{scheme}://testserver.local") as client:
        response = await client.post("/ui/sign-in", data={"token": API_TOKEN}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/ui")
    [cookie] = _set_cookies(response)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert cookie.startswith(f"{SIGN_IN_COOKIE}=")
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "Path=/;" in cookie + ";"
    assert "samesite=strict" in cookie.lower()
    assert ("secure" in attributes) is secure
    assert API_TOKEN not in cookie


async def test_the_api_never_reads_the_pages_cookies(browser: Client) -> None:
    csrf = await signed_in(browser, API_TOKEN)
    assert (await browser.get("/backups")).status_code == 401
    await browser.post(f"/ui/backups/{ENCRYPTED_ID}/unlock", data={"password": PASSPHRASE, "csrf": csrf})
    assert session_cookie_name(ENCRYPTED_ID) in browser.cookies
    assert (await browser.get(f"/backups/{ENCRYPTED_ID}/files")).status_code == 401
    assert (
        await browser.post(f"/backups/{ENCRYPTED_ID}/unlock", json={"password": PASSPHRASE})
    ).status_code == 401


async def test_programs_keep_the_contracts_headers(client: Client) -> None:
    assert (await client.get("/backups")).status_code == 200
    assert (await client.get("/ui", follow_redirects=False)).status_code == 303, "the header is no sign-in"


async def _browses(browser: Client, backup_id: str) -> bool:
    response = await browser.get(f"/ui/backups/{quote(backup_id)}/files", follow_redirects=False)
    return response.status_code == 200


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"headers": FOREIGN}, id="another origin, with the right CSRF token"),
        pytest.param({"headers": {"Sec-Fetch-Site": "cross-site"}}, id="cross-site fetch, no Origin"),
        pytest.param({"csrf": ""}, id="this origin, no CSRF token"),
        pytest.param({"csrf": "0" * 64}, id="this origin, a wrong CSRF token"),
    ],
)
async def test_a_forged_form_cannot_unlock_lock_or_refresh(
    browser: Client, base_path: Path, forged: dict[str, object]
) -> None:
    csrf = await signed_in(browser, API_TOKEN)
    headers = forged.get("headers", {})
    token = forged.get("csrf", csrf)
    form = {"password": PASSPHRASE} | ({"csrf": token} if token else {})

    unlock = await browser.post(f"/ui/backups/{ENCRYPTED_ID}/unlock", data=form, headers=headers)
    assert unlock.status_code == 403
    assert "not sent from this service's own page" in shown(unlock)
    assert not await _browses(browser, ENCRYPTED_ID)

    await browser.post(f"/ui/backups/{PLAIN_ID}/unlock", data={"csrf": csrf})
    assert await _browses(browser, PLAIN_ID)
    lock = await browser.post(f"/ui/backups/{PLAIN_ID}/lock", data=form, headers=headers)
    assert lock.status_code == 403
    assert await _browses(browser, PLAIN_ID), "the session lives on"

    shutil.copytree(base_path / PLAIN_ID, base_path / "copied-later")
    refresh = await browser.post("/ui/refresh", data=form, headers=headers)
    assert refresh.status_code == 403
    assert "copied-later" not in shown(await browser.get("/ui"))
    await browser.post("/ui/refresh", data={"csrf": csrf})
    assert "copied-later" in shown(await browser.get("/ui")), "the same refresh from the page works"


async def test_another_site_cannot_sign_a_browser_in(browser: Client) -> None:
    response = await browser.post("/ui/sign-in", data={"token": API_TOKEN}, headers=FOREIGN)
    assert response.status_code == 403
    assert _set_cookies(response) == []


async def test_a_tampered_or_foreign_cookie_is_no_sign_in(browser: Client) -> None:
    await signed_in(browser, API_TOKEN)
    issued, nonce, mac = browser.cookies[SIGN_IN_COOKIE].split(".")
    for forged in (f"{int(issued) + 1}.{nonce}.{mac}", f"{issued}.{nonce}x.{mac}", f"{issued}.{nonce}"):
        browser.cookies.set(SIGN_IN_COOKIE, forged)
        assert (await browser.get("/ui", follow_redirects=False)).status_code == 303


async def test_unlock_says_what_went_wrong(browser: Client) -> None:
    csrf = await signed_in(browser, API_TOKEN)
    url = f"/ui/backups/{ENCRYPTED_ID}/unlock"
    empty = await browser.post(url, data={"csrf": csrf})
    assert empty.status_code == 400
    assert "This backup is encrypted: its passphrase is required." in shown(empty)
    wrong = await browser.post(url, data={"password": "not it", "csrf": csrf})
    assert wrong.status_code == 400
    assert "The passphrase does not unlock this backup." in shown(wrong)
    throttled = await browser.post(url, data={"password": PASSPHRASE, "csrf": csrf})
    assert throttled.status_code == 429
    wait = throttled.headers["retry-after"]
    assert f"Wait {wait} s before the next try." in shown(throttled)
    assert 'name="password"' in shown(throttled), "the form is shown again"


async def test_an_unreadable_backup_says_why(browser: Client, base_path: Path) -> None:
    manifest = base_path / PLAIN_ID / "Manifest.plist"
    manifest.write_bytes(manifest.read_bytes()[:100])
    csrf = await signed_in(browser, API_TOKEN)
    await browser.post("/ui/refresh", data={"csrf": csrf})
    listed = await browser.get("/ui")
    assert "Unreadable" in shown(listed)
    assert "Manifest.plist is not a valid property list." in shown(listed)
    response = await browser.post(f"/ui/backups/{PLAIN_ID}/unlock", data={"csrf": csrf})
    assert response.status_code == 409
    assert "can't be opened: Manifest.plist is not a valid property list." in shown(response)


async def test_sign_out_locks_and_forgets_every_cookie(browser: Client) -> None:
    csrf = await signed_in(browser, API_TOKEN)
    await browser.post(f"/ui/backups/{PLAIN_ID}/unlock", data={"csrf": csrf})
    session_token = browser.cookies[session_cookie_name(PLAIN_ID)]
    api = {"X-API-Token": API_TOKEN, "X-Backup-Session": session_token}
    assert (await browser.get(f"/backups/{PLAIN_ID}/domains", headers=api)).status_code == 200
    response = await browser.post("/ui/sign-out", data={"csrf": csrf})
    assert response.url.path == "/ui/sign-in"
    assert dict(browser.cookies) == {}
    assert (await browser.get(f"/backups/{PLAIN_ID}/domains", headers=api)).status_code == 401
    assert (await browser.get("/ui", follow_redirects=False)).status_code == 303


async def test_lock_ends_the_session_and_its_cookie(browser: Client) -> None:
    csrf = await signed_in(browser, API_TOKEN)
    await browser.post(f"/ui/backups/{PLAIN_ID}/unlock", data={"csrf": csrf})
    session_token = browser.cookies[session_cookie_name(PLAIN_ID)]
    await browser.post(f"/ui/backups/{PLAIN_ID}/lock", data={"csrf": csrf})
    assert session_cookie_name(PLAIN_ID) not in browser.cookies
    api = {"X-API-Token": API_TOKEN, "X-Backup-Session": session_token}
    assert (await browser.get(f"/backups/{PLAIN_ID}/domains", headers=api)).status_code == 401
    after = await browser.get(f"/ui/backups/{PLAIN_ID}/files", follow_redirects=False)
    assert (after.status_code, after.headers["location"]) == (303, f"/ui/backups/{PLAIN_ID}")
    assert csrf_of((await browser.get("/ui")).text) == csrf


async def test_a_backups_session_cookie_is_httponly_strict_and_lives_with_the_session(
    browser: Client,
) -> None:
    csrf = await signed_in(browser, API_TOKEN)
    response = await browser.post(
        f"/ui/backups/{PLAIN_ID}/unlock", data={"csrf": csrf}, follow_redirects=False
    )
    [cookie] = _set_cookies(response)
    name, value = cookie.split(";")[0].split("=", 1)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert name == session_cookie_name(PLAIN_ID)
    assert {"httponly", "path", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "max-age" not in attributes, "the session's idle lifetime decides, not the browser"
    api = {"X-API-Token": API_TOKEN, "X-Backup-Session": value}
    assert (await browser.get(f"/backups/{PLAIN_ID}/domains", headers=api)).status_code == 200
