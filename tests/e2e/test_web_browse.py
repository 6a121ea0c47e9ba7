"""Browsing an unlocked backup through the pages over HTTP: domains, folders, search, paging, a file's
details and its download, each read from what the page shows."""

import html
import re
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup
from ios_backup_api.entrypoints.app import create_app
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import PLAIN_ID
from tests.support.web import signed_in

Client = AsyncTestClient  # type: ignore[type-arg]
PAGES = f"/ui/backups/{PLAIN_ID}"
NOTES = "AppDomain-com.example.notes"


@pytest.fixture
async def unlocked(base_path: Path, tmp_path: Path) -> AsyncIterator[Client]:
    settings = settings_for(base_path, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}")
    async with AsyncTestClient(create_app(settings)) as client:
        csrf = await signed_in(client, API_TOKEN)
        response = await client.post(f"{PAGES}/unlock", data={"csrf": csrf})
        assert response.url.path == f"{PAGES}/files"
        yield client


async def _page(client: Client, url: str, **params: str | int) -> str:
    response = await client.get(url, params=params or None)
    assert response.status_code == 200, response.text
    assert API_TOKEN not in response.text
    return html.unescape(response.text)


def _names(page: str) -> list[str]:
    """The entries' links in the page's table, as shown."""
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [name.strip() for name in re.findall(r"<a href=\"[^\"]*\">([^<]+)</a>", table)]


async def test_the_domains_of_the_backup(unlocked: Client, samples: dict[str, SyntheticBackup]) -> None:
    page = await _page(unlocked, f"{PAGES}/files")
    expected = sorted({entry.domain for entry in samples[PLAIN_ID].all_entries()})
    shown = re.findall(r'files\?domain=[^"]+">([^<]+)</a></li>', page)
    assert shown == expected


async def test_a_folder_shows_its_own_entries_one_level_at_a_time(unlocked: Client) -> None:
    folder = unicodedata.normalize("NFD", "Documents/Ünïcödé folder")  # as the phone named it
    page = await _page(unlocked, f"{PAGES}/files", domain=NOTES, folder=folder)
    assert _names(page) == [unicodedata.normalize("NFD", "naïve note.md")]
    assert "1–1 of 1 entries in this folder" in page
    documents = await _page(unlocked, f"{PAGES}/files", domain=NOTES, folder="Documents")
    assert [unicodedata.normalize("NFC", name) for name in _names(documents)] == [
        "Café.txt",
        "Crème brûlée.txt",
        "Shopping list.txt",
        "Ünïcödé folder/",
        "日本語のメモ.txt",
    ]
    root = await _page(unlocked, f"{PAGES}/files", domain=NOTES)
    assert _names(root) == ["Documents/", "Library/"]
    assert "1–2 of 2 entries in this domain" in root


async def test_search_finds_by_name_or_pattern(unlocked: Client) -> None:
    for typed in ("brûlée", unicodedata.normalize("NFD", "brûlée")):  # as a keyboard types it, and not
        by_name = await _page(unlocked, f"{PAGES}/files", domain=NOTES, search=typed)
        assert [unicodedata.normalize("NFC", name) for name in _names(by_name)] == [
            "Documents/Crème brûlée.txt"
        ]
    everywhere = await _page(unlocked, f"{PAGES}/files", search="%.plist")
    assert _names(everywhere) == [
        "Library/Preferences/com.example.notes.plist",
        "Library/Preferences/com.apple.springboard.plist",
    ]
    nothing = await _page(unlocked, f"{PAGES}/files", domain=NOTES, search="no such name")
    assert "Nothing matches." in nothing


async def test_paging_walks_every_entry_once(unlocked: Client) -> None:
    sizes = {"domain": "HomeDomain", "folder": "Library/Sizes"}
    whole = _names(await _page(unlocked, f"{PAGES}/files", **sizes, limit=1000))
    seen: list[str] = []
    url: str | None = f"{PAGES}/files?domain=HomeDomain&folder=Library/Sizes&limit=2"
    while url is not None:
        page = await _page(unlocked, url)
        seen.extend(_names(page))
        following = re.search(r'rel="next" href="([^"]+)"', page)
        url = following.group(1) if following else None
    assert len(whole) == 7
    assert seen == whole


async def test_a_files_details_and_its_download(
    unlocked: Client, samples: dict[str, SyntheticBackup]
) -> None:
    [cafe] = [e for e in samples[PLAIN_ID].all_entries() if e.relative_path == "Documents/Café.txt"]
    page = await _page(unlocked, f"{PAGES}/entry", domain=NOTES, path="Documents/Café.txt")
    assert "<h1>Café.txt</h1>" in page
    expected = cafe.content
    assert isinstance(expected, bytes)
    assert f"<dt>Size</dt><dd>{len(expected):,} bytes</dd>" in page
    assert '<dt>Mode</dt><dd class="mono">0o100644</dd>' in page
    link = re.search(r'id="download" href="([^"]+)" download', page)
    assert link is not None
    downloaded = await unlocked.get(link.group(1))
    assert downloaded.content == expected
    assert "attachment" in downloaded.headers["content-disposition"]
    part = await unlocked.get(link.group(1), headers={"Range": "bytes=1-3"})
    assert (part.status_code, part.content) == (206, expected[1:4])


async def test_a_missing_entry_is_a_clear_page(unlocked: Client) -> None:
    response = await unlocked.get(f"{PAGES}/entry", params={"domain": NOTES, "path": "Documents/gone.txt"})
    assert response.status_code == 404
    assert f"This backup lists no Documents/gone.txt in {NOTES}." in html.unescape(response.text)


async def test_a_locked_backup_leads_to_its_unlock_page(base_path: Path, tmp_path: Path) -> None:
    settings = settings_for(base_path, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}")
    async with AsyncTestClient(create_app(settings)) as client:
        await signed_in(client, API_TOKEN)
        response = await client.get(f"{PAGES}/files", params={"domain": NOTES}, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, f"/ui/backups/{quote(PLAIN_ID)}")
