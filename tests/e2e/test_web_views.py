"""The typed views as pages, each showing what the API's view answers for the same backup (the readers are
checked against sqlite3 elsewhere); a thread's attachments and the photo grid point at the page's own file
route; a folder downloads as one ZIP of what is under it."""

import html
import io
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.samples import demo_backups
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.entrypoints.app import create_app
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import FAST_DPIC
from tests.support.web import signed_in

Client = AsyncTestClient  # type: ignore[type-arg]
[(IPAD, IPAD_SPEC)] = [(name, spec) for name, spec in demo_backups(FAST_DPIC) if spec.passphrase is None]
PAGES = f"/ui/backups/{IPAD}"
API = f"/backups/{IPAD}"


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    write_backup(root / IPAD, IPAD_SPEC, seed=16)
    return root


@pytest.fixture
async def both(demo_root: Path, tmp_path: Path) -> AsyncIterator[tuple[Client, Client]]:
    """The pages signed in with a cookie, and the API with its headers, on one app."""
    settings = settings_for(demo_root, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}")
    app = create_app(settings)
    async with AsyncTestClient(app) as pages, AsyncTestClient(app) as api:
        csrf = await signed_in(pages, API_TOKEN)
        await pages.post(f"{PAGES}/unlock", data={"csrf": csrf})
        api.headers["X-API-Token"] = API_TOKEN
        unlocked = await api.post(f"{API}/unlock", json={})
        api.headers["X-Backup-Session"] = unlocked.json()["session_token"]
        yield pages, api


async def _shown(client: Client, url: str) -> str:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert API_TOKEN not in response.text
    return html.unescape(response.text.split("<main", 1)[1])


async def _api(client: Client, url: str, **params: Any) -> Any:
    response = await client.get(url, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_apps_page_links_each_view_the_backup_has(both: tuple[Client, Client]) -> None:
    pages, api = both
    shown = (await _shown(pages, f"{PAGES}/views")).split('<ul class="tiles">', 1)[1]
    linked = re.findall(rf'href="{PAGES}/(\w+)"', shown)
    expected = [view["name"] for view in (await _api(api, f"{API}/views"))["views"] if view["available"]]
    assert linked == expected
    assert len(expected) == 6


async def test_a_thread_shows_its_messages_and_attachments_from_the_file_route(
    both: tuple[Client, Client],
) -> None:
    pages, api = both
    messages = (await _api(api, f"{API}/messages/"))["items"]
    with_file = next(m for m in messages if any(a["file_id"] for a in m["attachments"]))
    chat = with_file["chat_id"]
    shown = await _shown(pages, f"{PAGES}/messages/{chat}")
    in_chat = [m for m in messages if m["chat_id"] == chat]
    bubbles = shown.split('<li class="bubble')[1:]
    assert len(bubbles) == len(in_chat)
    for bubble, message in zip(bubbles, in_chat, strict=True):
        assert bubble.startswith(" mine" if message["is_from_me"] else " theirs")
        text = (message["text"] or "").replace("\ufffc", "").strip()
        if text:
            assert f"<p>{text}</p>" in bubble
        else:
            assert "<p>" not in bubble
        for attachment in message["attachments"]:
            if attachment["file_id"]:
                link = f'href="{PAGES}/file/{attachment["file_id"]}" download>'
                assert link in bubble
    [attachment] = [a for a in with_file["attachments"] if a["file_id"]][:1]
    served = await pages.get(f"{PAGES}/file/{attachment['file_id']}")
    from_api = await api.get(f"{API}/file/{attachment['file_id']}")
    assert served.status_code == 200
    assert served.content == from_api.content
    chats = (await _api(api, f"{API}/messages/chats"))["items"]
    listing = await _shown(pages, f"{PAGES}/messages")
    assert re.findall(rf'href="{PAGES}/messages/(\d+)"', listing) == [str(c["id"]) for c in chats]


async def test_whatsapp_chats_and_a_thread(both: tuple[Client, Client]) -> None:
    pages, api = both
    chats = (await _api(api, f"{API}/whatsapp/chats"))["items"]
    listing = await _shown(pages, f"{PAGES}/whatsapp")
    assert re.findall(rf'href="{PAGES}/whatsapp/(\d+)"', listing) == [str(c["id"]) for c in chats]
    first = chats[0]["id"]
    messages = (await _api(api, f"{API}/whatsapp/messages", chat_id=first))["items"]
    shown = await _shown(pages, f"{PAGES}/whatsapp/{first}")
    assert shown.count('<li class="bubble') == len(messages)


async def test_the_photo_grid_shows_each_photo_from_the_file_route(both: tuple[Client, Client]) -> None:
    pages, api = both
    photos = (await _api(api, f"{API}/photos"))["items"]
    shown = await _shown(pages, f"{PAGES}/photos")
    sources = re.findall(rf'<img src="{PAGES}/file/([0-9a-f]+)" alt="([^"]+)"', shown)
    expected = [(p["file_id"], p["filename"]) for p in photos if p["kind"] == "photo" and p["file_id"]]
    assert sources == expected
    assert sources, "the demo has photos"
    picture = await pages.get(f"{PAGES}/file/{sources[0][0]}")
    assert picture.content[:3] == b"\xff\xd8\xff", "a JPEG"


async def test_contacts_calls_and_notes_show_what_the_api_answers(both: tuple[Client, Client]) -> None:
    pages, api = both
    contacts = (await _api(api, f"{API}/contacts"))["items"]
    shown = await _shown(pages, f"{PAGES}/contacts")
    assert re.findall(r"<td><strong>([^<]+)</strong>", shown) == [
        c["display_name"] or "Unnamed contact" for c in contacts
    ]
    calls = (await _api(api, f"{API}/calls"))["items"]
    shown = await _shown(pages, f"{PAGES}/calls")
    assert re.findall(r"<td><strong>([^<]+)</strong>", shown) == [
        c["name"] or c["address"] or "Unknown" for c in calls
    ]
    notes = (await _api(api, f"{API}/notes"))["items"]
    shown = await _shown(pages, f"{PAGES}/notes")
    assert re.findall(r"<h2>([^<]+)</h2>", shown) == [n["title"] or "Untitled" for n in notes]


async def test_a_folder_downloads_as_a_zip_of_what_is_under_it(both: tuple[Client, Client]) -> None:
    pages, api = both
    folder = await _shown(pages, f"{PAGES}/files?domain=CameraRollDomain&folder=Media/DCIM")
    found = re.search(r'<a class="button" id="zip" href="([^"]+)" download>', folder)
    assert found is not None
    response = await pages.get(found.group(1))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    listed = (await _api(api, f"{API}/files", domain="CameraRollDomain", path_like="Media/DCIM/%"))["items"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = [name.rstrip("/") for name in archive.namelist()]
        assert names == [f"CameraRollDomain/{e['relative_path']}" for e in listed]
        a_file = next(e for e in listed if e["kind"] == "file")
        content = await api.get(f"{API}/file/{a_file['file_id']}")
        assert archive.read(f"CameraRollDomain/{a_file['relative_path']}") == content.content
