"""A page of /files from a run of JSON lines (the manifest's reader wrote them) is the page the HTTP layer
encodes from the same entries: the items in order, the total, the limit and the offset asked for."""

import json
from datetime import UTC, datetime

import msgspec
import pytest

from ios_backup_api.domain.manifest import EntryKind, EntryRun, FileQuery, ManifestEntry
from ios_backup_api.entrypoints.http.controllers.manifest import _page
from ios_backup_api.entrypoints.http.schemas import ManifestEntryOut

ENTRIES = [
    ManifestEntry("a" * 40, "HomeDomain", "Library", EntryKind.DIRECTORY, 0, 0o40755, None, 0, None),
    ManifestEntry(
        "b" * 40,
        "HomeDomain",
        "Library/a\nb",
        EntryKind.FILE,
        3,
        0o100644,
        datetime(2024, 1, 2, tzinfo=UTC),
        3,
        None,
    ),
    ManifestEntry("c" * 40, "HomeDomain", "Library/l", EntryKind.SYMLINK, 0, 0o120755, None, 0, "t,]\n"),
]


@pytest.mark.parametrize("count", [1, 3])
def test_a_page_of_lines_is_the_page_of_its_entries(count: int) -> None:
    entries, query = ENTRIES[:count], FileQuery(limit=count, offset=5)
    lines = msgspec.json.Encoder().encode_lines([ManifestEntryOut.of(entry) for entry in entries])
    from_lines = json.loads(_page(EntryRun([], lines, count, 9), query))
    from_entries = json.loads(_page(EntryRun(entries, None, count, 9), query))
    assert from_lines == from_entries
    assert (from_lines["total"], from_lines["limit"], from_lines["offset"]) == (9, count, 5)
    assert [item["file_id"] for item in from_lines["items"]] == [entry.file_id for entry in entries]


def test_an_empty_page_has_no_items() -> None:
    page = json.loads(_page(EntryRun([], None, 0, 4), FileQuery(limit=10, offset=20)))
    assert page == {"items": [], "total": 4, "limit": 10, "offset": 20}
