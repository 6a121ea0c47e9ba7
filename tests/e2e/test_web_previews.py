"""A file's page shows its content: a picture and a sound from the page's own file route, text as it is,
a binary property list decoded (as plistlib reads it), an SQLite database's tables and first rows (as
sqlite3 reads them), and a sentence for bytes that are none of these."""

import html
import io
import plistlib
import re
import sqlite3
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.entrypoints.app import create_app
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import PLAIN_ID, plain_spec
from tests.support.preview_files import DOMAIN, FILES, FOLDER, SETTINGS, TABLE_ROWS, with_preview_files
from tests.support.web import signed_in

Client = AsyncTestClient  # type: ignore[type-arg]
PAGES = f"/ui/backups/{PLAIN_ID}"


@pytest.fixture(scope="module")
def previews_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("previews")
    write_backup(root / PLAIN_ID, with_preview_files(plain_spec()), seed=7)
    return root


@pytest.fixture
async def unlocked(previews_root: Path, tmp_path: Path) -> AsyncIterator[Client]:
    settings = settings_for(previews_root, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}")
    async with AsyncTestClient(create_app(settings)) as client:
        csrf = await signed_in(client, API_TOKEN)
        await client.post(f"{PAGES}/unlock", data={"csrf": csrf})
        yield client


async def _entry(client: Client, name: str) -> str:
    response = await client.get(f"{PAGES}/entry", params={"domain": DOMAIN, "path": f"{FOLDER}/{name}"})
    assert response.status_code == 200, response.text
    return response.text


def _preview(page: str) -> str:
    return page.split('<section class="preview"', 1)[1].split("</section>", 1)[0]


async def test_a_picture_and_a_sound_are_served_by_the_pages_own_file_route(unlocked: Client) -> None:
    for name, element in (("Picture.png", "img"), ("Tone.wav", "audio")):
        found = re.search(
            rf'<{element} id="preview-\w+"[^>]* src="([^"]+)"', _preview(await _entry(unlocked, name))
        )
        assert found is not None, f"{name}'s page shows it in an <{element}>"
        assert found.group(1).startswith(f"{PAGES}/file/")
        served = await unlocked.get(found.group(1))
        assert served.content == FILES[name]
    ranged = await unlocked.get(found.group(1), headers={"Range": "bytes=1000-1999"})
    assert ranged.status_code == 206
    assert ranged.content == FILES["Tone.wav"][1000:2000]


async def test_text_is_shown_escaped(unlocked: Client) -> None:
    preview = _preview(await _entry(unlocked, "Notes.txt"))
    assert "Bread, butter &amp; &lt;jam&gt;\nsecond line\n" in preview


async def test_a_binary_plist_is_shown_decoded_as_plistlib_reads_it(unlocked: Client) -> None:
    preview = html.unescape(_preview(await _entry(unlocked, "Settings.plist")))
    assert "Decoded from a binary property list." in preview
    shown = re.search(r'<pre id="preview-text" tabindex="0">(.*)</pre>', preview, re.S)
    assert shown is not None
    assert plistlib.loads(shown.group(1).encode()) == plistlib.loads(FILES["Settings.plist"]) == SETTINGS
    xml = html.unescape(_preview(await _entry(unlocked, "Readable.plist")))
    assert FILES["Readable.plist"].decode() in xml
    assert "Decoded from" not in xml


async def test_a_database_shows_its_tables_and_first_rows_as_sqlite3_reads_them(
    unlocked: Client,
) -> None:
    preview = html.unescape(_preview(await _entry(unlocked, "Store.sqlite")))
    reference = sqlite3.connect(":memory:")
    reference.deserialize(FILES["Store.sqlite"])
    (count,) = reference.execute("SELECT count(*) FROM items").fetchone()
    assert "2 tables." in preview
    assert f"{count} rows; the first 20 shown" in preview
    assert "0 rows" in preview  # the empty table
    cells = re.findall(r"<td>([^<]*)</td>", preview)
    first = reference.execute("SELECT id, label, data FROM items ORDER BY rowid LIMIT 20").fetchall()
    assert cells == [
        value
        for row_id, label, data in first
        for value in (str(row_id), label, f"{len(data)} bytes: {data[:16].hex(' ')}…")
    ]
    assert first == [row for row in TABLE_ROWS[:20]]


async def test_bytes_that_are_none_of_these_get_a_sentence(unlocked: Client) -> None:
    preview = _preview(await _entry(unlocked, "Bytes.bin"))
    assert "This file is neither text, a property list nor an SQLite database." in preview


async def test_a_jpeg_is_a_picture_by_its_name(unlocked: Client) -> None:
    params = {"domain": "CameraRollDomain", "path": "Media/DCIM/100APPLE/IMG_0001.JPG"}
    page = await unlocked.get(f"{PAGES}/entry", params=params)
    assert f'<img id="preview-image" src="/ui/backups/{quote(PLAIN_ID)}/file/' in page.text


async def test_a_folders_zip_holds_what_is_below_it_and_nothing_of_a_folder_like_it(unlocked: Client) -> None:
    response = await unlocked.get(f"{PAGES}/archive", params={"domain": DOMAIN, "folder": FOLDER})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        held = {name: archive.read(name) for name in archive.namelist()}
    assert held == {f"{DOMAIN}/{FOLDER}/{name}": content for name, content in FILES.items()}


async def test_a_heic_picture_is_shown_as_a_jpeg_of_its_pixels(unlocked: Client) -> None:
    preview = _preview(await _entry(unlocked, "Photo.HEIC"))
    found = re.search(r'<img id="preview-image" src="([^"]+)"', preview)
    assert found is not None
    assert found.group(1).startswith(f"{PAGES}/picture/")
    served = await unlocked.get(found.group(1))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(served.content)) as jpeg:
        assert jpeg.format == "JPEG"
        assert jpeg.size == (64, 48)
        left, right = jpeg.convert("RGB").getpixel((8, 24)), jpeg.convert("RGB").getpixel((56, 24))
    assert (left[0] > 200, left[2] < 60) == (True, True), left  # red, as the HEIC was written
    assert (right[2] > 200, right[0] < 60) == (True, True), right  # blue


async def test_what_is_no_heic_is_refused_by_the_picture_route_with_a_sentence(unlocked: Client) -> None:
    found = re.search(r"/file/([0-9a-f]{40})", _preview(await _entry(unlocked, "Picture.png")))
    assert found is not None
    refused = await unlocked.get(f"{PAGES}/picture/{found.group(1)}")
    assert refused.status_code == 404
    assert "This file is no HEIC picture; download it." in refused.text
