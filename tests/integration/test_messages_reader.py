"""The Messages reader against the oracle (plain sqlite3 on the files, SQLite applying the WAL, joins in
Python) on generated sms.db of every iOS version, with and without a `-wal`; and on databases lacking
columns, empty ones and odd rows."""

import sqlite3
from datetime import timedelta
from functools import cache
from typing import Any

import pytest

from ios_backup_api.adapters.apps.messages import SqliteMessagesReader
from ios_backup_api.adapters.backup_writer.apps.messages import (
    DATABASE,
    HOME,
    MEDIA,
    messages_entries,
    schema,
)
from ios_backup_api.adapters.backup_writer.apps.typedstream import attributed_body
from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.views.pages import EntryRef, ViewQuery
from tests.support.app_databases import in_memory as loaded
from tests.support.app_oracles import messages as oracle
from tests.support.app_views import agree, answer, assert_seeded, assert_unreadable, edited, sqlite3_cli
from tests.support.typedstream_reference import reference_text

VERSIONS = [14, 15, 16, 17, 18]
SOURCE = EntryRef(HOME, DATABASE)
reader = SqliteMessagesReader()
READERS = [SqliteMessagesReader(head=head) for head in (0, 3, 1000)]
"""Every page from the whole ordered ids; the first from a top-3 query; all but the last from the top."""


@cache
def generated(ios: int, wal: bool) -> tuple[bytes, bytes | None, tuple[SyntheticFile, ...]]:
    entries = [entry for entry in messages_entries(ios, wal=wal) if isinstance(entry, SyntheticFile)]
    files = {entry.relative_path: entry for entry in entries}
    wal_file = files.get(DATABASE + "-wal")
    attachments = tuple(entry for entry in entries if entry.domain == MEDIA)
    return files[DATABASE].read_bytes(), wal_file.read_bytes() if wal_file else None, attachments


both = pytest.mark.parametrize("wal", [False, True], ids=["no-wal", "wal"])
versions = pytest.mark.parametrize("ios", VERSIONS)


@versions
@both
async def test_chats_are_what_sqlite_reads(ios: int, wal: bool) -> None:
    main, wal_bytes, _ = generated(ios, wal)
    await agree(READERS, "chats", oracle.chats, SOURCE, main, wal_bytes)
    assert oracle.chats(main, wal_bytes)["total"] == 4


@versions
@both
async def test_messages_are_what_sqlite_reads_page_by_page(ios: int, wal: bool) -> None:
    main, wal_bytes, _ = generated(ios, wal)
    await agree(READERS, "messages", oracle.messages, SOURCE, main, wal_bytes)
    assert oracle.messages(main, wal_bytes)["total"] == 37


@versions
@both
async def test_each_filter_is_what_sqlite_reads(ios: int, wal: bool) -> None:
    main, wal_bytes, _ = generated(ios, wal)
    times = [m["sent_at"] for m in oracle.messages(main, wal_bytes, limit=1000)["items"]]
    cases: list[dict[str, Any]] = [{"chat_id": chat} for chat in (1, 2, 3, 4, 99)]
    cases += [{"since": times[10]}, {"until": times[10]}, {"since": times[5], "until": times[5]}]
    cases += [{"since": times[5] + timedelta(microseconds=1), "until": times[20], "chat_id": 3}]
    cases += [{"q": q} for q in ("strasse", "STRAßE", "🆕", "newest", "family", "FAMÍLIA", "no such words")]
    cases += [{"q": "e", "chat_id": 1, "until": times[30]}]
    for case in cases:
        await agree(READERS, "messages", oracle.messages, SOURCE, main, wal_bytes, **case)


async def test_the_filters_find_what_they_should() -> None:
    """The oracle itself, held to what the generator wrote (so that agreeing with it means something)."""
    main, wal_bytes, _ = generated(17, True)
    assert (
        oracle.messages(main, wal_bytes, q="strasse")["total"] == 4
    )  # Straße ×2 by case folding, STRASSE ×2
    assert oracle.messages(main, wal_bytes, q="newest")["total"] == 4  # the rows only the WAL holds
    assert oracle.messages(main, wal_bytes, chat_id=4)["total"] == 0
    assert [c["message_count"] for c in oracle.chats(main, wal_bytes)["items"]][-1] == 0
    group = next(c for c in oracle.chats(main, wal_bytes)["items"] if c["id"] == 3)
    assert group["participants"] == ["+14155550101", "anna.müller@example.com", "+447700900123"]
    assert group["display_name"] == "Família 🎉"


@pytest.mark.parametrize("ios", [16, 17, 18])
async def test_a_text_only_in_attributed_body_is_shown(ios: int) -> None:
    main, wal_bytes, _ = generated(ios, True)
    with sqlite3.connect(":memory:") as connection:
        connection.deserialize(edited(main, wal_bytes))
        body_only = connection.execute(
            "SELECT ROWID, attributedBody FROM message WHERE text IS NULL AND attributedBody IS NOT NULL"
        ).fetchall()
    assert len(body_only) >= 3
    page = await reader.messages(loaded(SOURCE, main, wal_bytes), ViewQuery(limit=1000))
    texts = {message.id: message.text for message in page.items}
    for rowid, body in body_only:
        assert texts[rowid] == reference_text(body) is not None


@versions
async def test_attachments_point_at_their_media_domain_files(ios: int) -> None:
    main, wal_bytes, stored = generated(ios, True)
    page = await reader.messages(loaded(SOURCE, main, wal_bytes), ViewQuery(limit=1000))
    attachments = [a for message in page.items for a in message.attachments]
    assert len(attachments) == 6
    paths = {entry.relative_path: entry.read_bytes() for entry in stored}
    pointed = [a for a in attachments if a.entry is not None and a.entry.relative_path in paths]
    assert len(pointed) == 4  # one file left out of the backup, one attachment without a filename
    for attachment in pointed:
        assert attachment.entry is not None
        assert attachment.entry.domain == MEDIA
        assert attachment.size == len(paths[attachment.entry.relative_path])
        if attachment.mime_type == "image/jpeg":
            assert paths[attachment.entry.relative_path][:3] == b"\xff\xd8\xff"


def test_the_generated_databases_are_sound_to_the_sqlite3_cli() -> None:
    """An outside reader (the sqlite3 command) opens main + WAL, finds it intact and counts the rows."""
    counts = ("SELECT count(*) FROM message;", "SELECT count(*) FROM chat_message_join;")
    for ios in VERSIONS:
        main, wal_bytes, _ = generated(ios, True)
        assert wal_bytes is not None
        assert sqlite3_cli(main, wal_bytes, "PRAGMA integrity_check;", *counts) == ["ok", "37", "36"]


@pytest.mark.parametrize(
    "statements",
    [
        ["ALTER TABLE message DROP COLUMN text", "ALTER TABLE message DROP COLUMN attributedBody"],
        ["DROP INDEX message_idx_handle", "ALTER TABLE message DROP COLUMN handle_id"],
        ["ALTER TABLE message DROP COLUMN service", "ALTER TABLE chat DROP COLUMN service_name"],
        ["ALTER TABLE chat DROP COLUMN display_name", "DROP TABLE chat_handle_join"],
        ["DROP TABLE handle"],
        ["DROP TABLE message_attachment_join"],
        ["DROP TABLE attachment"],
        [
            f"ALTER TABLE attachment DROP COLUMN {c}"
            for c in ("filename", "transfer_name", "mime_type", "total_bytes")
        ],
    ],
    ids=[
        "texts",
        "handle_id",
        "services",
        "names",
        "handles",
        "attachment-joins",
        "attachments",
        "attachment-cols",
    ],
)
async def test_a_database_lacking_optional_columns_gives_nulls(statements: list[str]) -> None:
    main, wal_bytes, _ = generated(16, True)
    data = edited(main, wal_bytes, *statements)
    database = loaded(SOURCE, data, None)
    messages = await reader.messages(database, ViewQuery(limit=1000))
    chats = await reader.chats(database, ViewQuery(limit=1000))
    assert answer(messages) == oracle.messages(data, None, limit=1000)
    assert answer(chats) == oracle.chats(data, None, limit=1000)
    assert messages.total == 37
    joined = " ".join(statements)
    if "COLUMN text" in joined:
        assert all(m.text is None for m in messages.items)
    if "handle_id" in joined or "TABLE handle" in joined:
        assert all(m.sender is None for m in messages.items)
    if "TABLE handle" in joined or "chat_handle_join" in joined:
        assert all(c.participants == [] for c in chats.items)
    if "service" in joined:
        assert all(m.service is None for m in messages.items)
        assert all(c.service is None for c in chats.items)
    if "attachment" in joined and "COLUMN" not in joined:
        assert all(m.attachments == [] for m in messages.items)
    if "COLUMN filename" in joined:
        attachments = [a for m in messages.items for a in m.attachments]
        assert len(attachments) == 6
        assert all(a == type(a)(None, None, None, None) for a in attachments)


@pytest.mark.parametrize(
    ("statements", "view", "named"),
    [
        (["DROP TABLE message"], "messages", "no message table"),
        (
            [
                "DROP INDEX message_idx_date",
                "DROP INDEX message_idx_handle",
                "ALTER TABLE message DROP COLUMN date",
            ],
            "messages",
            "date",
        ),
        (["ALTER TABLE message DROP COLUMN is_from_me"], "messages", "is_from_me"),
        (["DROP TABLE chat"], "chats", "no chat table"),
        (["DROP TABLE chat_message_join"], "chats", "chat_message_join"),
    ],
)
async def test_a_database_lacking_what_a_view_needs_is_unreadable(
    statements: list[str], view: str, named: str
) -> None:
    main, wal_bytes, _ = generated(15, False)
    await assert_unreadable(reader, view, SOURCE, edited(main, wal_bytes, *statements), named)


async def test_guid_is_needed_for_messages() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE message (ROWID INTEGER PRIMARY KEY, date INTEGER, is_from_me INTEGER)")
    data = connection.serialize()
    with pytest.raises(ViewUnreadableError, match="guid"):
        await reader.messages(loaded(SOURCE, data, None), ViewQuery())


@versions
async def test_an_empty_database_has_empty_views(ios: int) -> None:
    connection = sqlite3.connect(":memory:")
    for statement in schema(ios):
        connection.execute(statement)
    database = loaded(SOURCE, connection.serialize(), None)
    assert (await reader.messages(database, ViewQuery(q="x"))).total == 0
    assert answer(await reader.messages(database, ViewQuery())) == {"items": [], "total": 0}
    assert answer(await reader.chats(database, ViewQuery())) == {"items": [], "total": 0}


_INSERT = "INSERT INTO message (ROWID, guid, text, date, is_from_me) VALUES"
_ODD_ROWS = [
    f"{_INSERT} (1, 'null-text', NULL, 700000000000000000, 0)",
    f"{_INSERT} (2, 'max', 'x', 9223372036854775807, 1)",
    f"{_INSERT} (3, 'min', 'y', -9223372036854775808, 1)",
    f"{_INSERT} (4, 'seconds', 'old', 500000000, NULL)",
    f"{_INSERT} (5, 'real', 'r', 600000000.123456, 'yes')",
    f"{_INSERT} (6, 'far', 'f', 99999999999.5, 0)",
    f"{_INSERT} (7, 'text date', 'a', 'yesterday', 0)",
    f"{_INSERT} (8, 'no date', 'b', NULL, 0)",
    f"{_INSERT} (9, x'ff00fe', CAST(x'ff41c3' AS TEXT), 1, 0)",
    "INSERT INTO message (ROWID, guid, text, attributedBody, date, is_from_me, handle_id) "
    "VALUES (10, 'garbage body', NULL, x'040b73747265616d7479706564', 700000000000000001, 0, 77)",
    "INSERT INTO message (ROWID, guid, text, date, is_from_me, service) "
    "VALUES (11, 'neg', 'n', -100000000000, 0, 7)",
    f"{_INSERT} (12, 'before year 1', 'z', -70000000000, 0)",
    f"{_INSERT} (13, 'same ns µs', 'p', 700000000000000999, 0)",
    "INSERT INTO chat (ROWID, guid, display_name, service_name) VALUES (1, CAST(x'c328' AS TEXT), '', x'00')",
    "INSERT INTO chat_message_join (chat_id, message_id) VALUES (1, 1), (1, 2), (2, 2), (1, 404)",
    "INSERT INTO attachment (ROWID, guid, original_guid, filename, total_bytes) "
    "VALUES (1, 'a', 'a', '~/x', 'big')",
    "INSERT INTO attachment (ROWID, guid, original_guid, filename) "
    "VALUES (2, 'b', 'b', '/private/var/mobile/Library/SMS/Attachments/0/1/G/a.b/')",
    "INSERT INTO message_attachment_join (message_id, attachment_id) VALUES (1, 1), (1, 2), (1, 3), (404, 1)",
]


async def test_odd_rows_read_as_sqlite_reads_them() -> None:
    connection = sqlite3.connect(":memory:")
    for statement in [*schema(18), *_ODD_ROWS]:
        connection.execute(statement)
    connection.execute(
        "INSERT INTO message (ROWID, guid, attributedBody, date) VALUES (14, 'body', ?, 5)",
        (attributed_body("ünïcode 🎉" * 50, mutable=True, parts=3),),
    )
    data = connection.serialize()
    database = loaded(SOURCE, data, None)
    page = await reader.messages(database, ViewQuery(limit=1000))
    assert answer(page) == oracle.messages(data, None, limit=1000)
    by_guid = {m.guid: m for m in page.items}
    assert by_guid["\ufffd\x00\ufffd"].text == "\ufffdA\ufffd"
    assert by_guid["max"].sent_at is not None
    assert by_guid["text date"].sent_at is None
    assert by_guid["before year 1"].sent_at is None
    assert by_guid["garbage body"].text is None
    assert by_guid["body"].text == "ünïcode 🎉" * 50
    assert answer(await reader.chats(database, ViewQuery())) == oracle.chats(data, None)
    for case in (
        {"since": by_guid["seconds"].sent_at},
        {"until": by_guid["real"].sent_at},
        {"q": "ＮＯ"},
        {"chat_id": 1},
        {"chat_id": 2},
    ):
        filtered = await reader.messages(database, ViewQuery(limit=1000, **case))
        assert answer(filtered) == oracle.messages(data, None, limit=1000, **case)


def test_the_generator_is_deterministic_given_its_seed() -> None:
    assert_seeded(lambda seed: messages_entries(17, wal=True, seed=seed), DATABASE)
