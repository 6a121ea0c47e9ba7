"""The previews' bounds and refusals, on contents held by the in-memory vault: each is a sentence, never an
error, and what is shown is what plistlib and sqlite3 read."""

import plistlib
import sqlite3
from datetime import UTC, datetime

import pytest

from ios_backup_api.adapters.apps.previews import StdlibContentPreviews
from ios_backup_api.adapters.backup_writer import file_ids
from ios_backup_api.domain.manifest import EntryKind, FileId, ManifestEntry
from ios_backup_api.domain.previews import ContentPreview, DatabasePreview, NoPreview, TextPreview
from tests.fakes.vault import InMemoryBackupVault
from tests.support.preview_files import FILES, SETTINGS

DOMAIN = "AppDomain-x"


async def _preview(name: str, data: bytes | None, previews: StdlibContentPreviews) -> ContentPreview:
    file_id = file_ids.file_id(DOMAIN, name)
    entry = ManifestEntry(
        file_id, DOMAIN, name, EntryKind.FILE, None if data is None else len(data), 0o100600,
        datetime(2024, 1, 1, tzinfo=UTC), 3, None,
    )  # fmt: skip
    vault = InMemoryBackupVault()
    vault.add_backup("b", None, [(entry, data)])
    return await previews.preview(await vault.open("b", None), FileId(file_id))


async def test_text_is_cut_at_the_bound_without_splitting_a_character() -> None:
    text = "é" * 10  # two bytes each: a bound of 7 bytes cuts the fourth in half
    shown = await _preview("a.txt", text.encode(), StdlibContentPreviews(text_bytes=7))
    assert shown == TextPreview("ééé", truncated=True)
    whole = await _preview("a.txt", text.encode(), StdlibContentPreviews())
    assert whole == TextPreview(text, truncated=False)


@pytest.mark.parametrize("data", [b"\x00\x01\x02", b"\xff\xfe\xfd text", bytes(range(256))])
async def test_bytes_that_are_not_text_get_a_sentence(data: bytes) -> None:
    shown = await _preview("a.bin", data, StdlibContentPreviews())
    assert shown == NoPreview("This file is neither text, a property list nor an SQLite database.")


async def test_a_binary_plist_is_decoded_whole_or_not_at_all() -> None:
    data = FILES["Settings.plist"]
    shown = await _preview("a.plist", data, StdlibContentPreviews())
    assert isinstance(shown, TextPreview)
    assert plistlib.loads(shown.text.encode()) == SETTINGS
    assert shown.decoded_from == "a binary property list"
    too_large = await _preview("a.plist", data, StdlibContentPreviews(text_bytes=len(data) - 1))
    assert too_large == NoPreview(
        f"This property list is {len(data):,} bytes, more than the {len(data) - 1:,} a preview reads;"
        " download it."
    )
    damaged = await _preview("a.plist", data[: len(data) // 2], StdlibContentPreviews())
    assert damaged == NoPreview("This binary property list is damaged; download it to look at its bytes.")


async def test_a_database_shows_its_first_tables_and_rows_within_its_bounds() -> None:
    connection = sqlite3.connect(":memory:")
    for table in ("a", "b", "c"):
        connection.execute(f"CREATE TABLE {table} (x)")
        connection.executemany(f"INSERT INTO {table} VALUES (?)", [(n,) for n in range(5)])  # noqa: S608
    connection.execute("CREATE VIEW v AS SELECT * FROM a")
    connection.commit()
    data = bytes(connection.serialize())
    shown = await _preview("a.db", data, StdlibContentPreviews(tables=2, rows=3))
    assert isinstance(shown, DatabasePreview)
    assert shown.table_count == 3  # the view is no table
    assert [(t.name, t.columns, t.rows, t.row_count) for t in shown.tables] == [
        ("a", ["x"], [["0"], ["1"], ["2"]], 5),
        ("b", ["x"], [["0"], ["1"], ["2"]], 5),
    ]
    too_large = await _preview("a.db", data, StdlibContentPreviews(database_bytes=len(data) - 1))
    assert isinstance(too_large, NoPreview)
    assert too_large.reason.startswith(f"This database is {len(data):,} bytes")
    damaged = await _preview("a.db", data[:100] + bytes(len(data) - 100), StdlibContentPreviews())
    assert isinstance(damaged, NoPreview)
    assert "a.db is damaged" in damaged.reason


async def test_a_file_without_content_says_so() -> None:
    shown = await _preview("a.txt", None, StdlibContentPreviews())
    assert shown == NoPreview("The backup holds no content for this file.")
