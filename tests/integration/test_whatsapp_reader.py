"""The WhatsApp reader against the oracle (plain sqlite3 on the files, SQLite applying the WAL, joins in
Python) on generated ChatStorage.sqlite of every iOS version, with and without a `-wal`; and on databases
lacking columns, empty ones and odd rows."""

import sqlite3
from datetime import timedelta
from functools import cache
from typing import Any

import pytest

from ios_backup_api.adapters.apps.whatsapp import SqliteWhatsAppReader
from ios_backup_api.adapters.backup_writer.apps.whatsapp import DATABASE, DOMAIN, schema, whatsapp_entries
from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.domain.views.pages import EntryRef, ViewQuery
from tests.support.app_databases import in_memory as loaded
from tests.support.app_oracles import whatsapp as oracle
from tests.support.app_views import agree, answer, assert_seeded, assert_unreadable, edited, sqlite3_cli

VERSIONS = [14, 15, 16, 17, 18]
SOURCE = EntryRef(DOMAIN, DATABASE)
READERS = [SqliteWhatsAppReader(head=head) for head in (0, 3, 1000)]
reader = READERS[-1]


@cache
def generated(ios: int, wal: bool) -> tuple[bytes, bytes | None, dict[str, bytes]]:
    files = {
        e.relative_path: e.read_bytes()
        for e in whatsapp_entries(ios, wal=wal)
        if isinstance(e, SyntheticFile)
    }
    return files.pop(DATABASE), files.pop(DATABASE + "-wal", None), files


both = pytest.mark.parametrize("wal", [False, True], ids=["no-wal", "wal"])
versions = pytest.mark.parametrize("ios", VERSIONS)


@versions
@both
async def test_chats_are_what_sqlite_reads(ios: int, wal: bool) -> None:
    main, wal_bytes, _ = generated(ios, wal)
    await agree(READERS, "chats", oracle.chats, SOURCE, main, wal_bytes)
    assert [c["message_count"] for c in oracle.chats(main, wal_bytes)["items"]] == [10, 15, 5, 0]


@versions
@both
async def test_messages_and_each_filter_are_what_sqlite_reads(ios: int, wal: bool) -> None:
    main, wal_bytes, _ = generated(ios, wal)
    times = [m["sent_at"] for m in oracle.messages(main, wal_bytes, limit=1000)["items"]]
    cases: list[dict[str, Any]] = [{}, *({"chat_id": chat} for chat in (1, 2, 3, 4, 99))]
    cases += [{"since": times[10]}, {"until": times[10]}, {"since": times[11], "until": times[11]}]
    cases += [{"since": times[5] + timedelta(microseconds=1), "until": times[25], "chat_id": 2}]
    cases += [{"q": q} for q in ("strasse", "STRAßE", "🧗", "ÇA", "https", "nothing like it")]
    for case in cases:
        await agree(READERS, "messages", oracle.messages, SOURCE, main, wal_bytes, **case)


async def test_the_oracle_sees_what_the_generator_wrote() -> None:
    main, wal_bytes, files = generated(17, True)
    every = oracle.messages(main, wal_bytes, limit=1000)["items"]
    assert len(every) == 30  # the message of no chat session is left out
    assert oracle.messages(main, wal_bytes, q="strasse")["total"] == 3  # "STRASSE … Straße", three times
    group = [m for m in every if m["chat_id"] == 2 and not m["is_from_me"]]
    assert {m["sender"] for m in group} <= {
        "14155550101@s.whatsapp.net",
        "447700900123@s.whatsapp.net",
        "33612345678@s.whatsapp.net",
    }
    kinds = {m["media"]["mime_type"] for m in every if m["media"] is not None}
    assert kinds == {"image/jpeg", "video/mp4", "audio/ogg; codecs=opus", "application/pdf", None}
    stored = [m["media"] for m in every if m["media"] and m["media"]["entry"]]
    assert sum(m["entry"]["relative_path"] in files for m in stored) == 4  # the video's file is not there


@versions
async def test_media_point_at_their_files_in_the_app_group(ios: int) -> None:
    main, wal_bytes, files = generated(ios, True)
    page = await reader.messages(loaded(SOURCE, main, wal_bytes), ViewQuery(limit=1000))
    media = [m.media for m in page.items if m.media is not None and m.media.entry is not None]
    assert len(media) == 5
    for item in media:
        assert item.entry is not None
        assert item.entry.domain == DOMAIN
        assert item.entry.relative_path == "Message/" + (item.relative_path or "")
        if item.entry.relative_path in files:
            assert item.size == len(files[item.entry.relative_path])
        if item.mime_type == "image/jpeg":
            assert files[item.entry.relative_path][:3] == b"\xff\xd8\xff"


def test_the_generated_databases_are_sound_to_the_sqlite3_cli() -> None:
    joined = "SELECT count(*) FROM ZWAMESSAGE JOIN ZWAMEDIAITEM ON ZMESSAGE = ZWAMESSAGE.Z_PK;"
    for ios in VERSIONS:
        main, wal_bytes, _ = generated(ios, True)
        assert wal_bytes is not None
        out = sqlite3_cli(
            main, wal_bytes, "PRAGMA integrity_check;", "SELECT count(*) FROM ZWAMESSAGE;", joined
        )
        assert out == ["ok", "31", "7"]


@pytest.mark.parametrize(
    "statements",
    [
        ["ALTER TABLE ZWAMESSAGE DROP COLUMN ZTEXT", "ALTER TABLE ZWACHATSESSION DROP COLUMN ZPARTNERNAME"],
        ["DROP INDEX ZWAMESSAGE_ZGROUPMEMBER_INDEX", "ALTER TABLE ZWAMESSAGE DROP COLUMN ZGROUPMEMBER"],
        ["DROP TABLE ZWAGROUPMEMBER", "ALTER TABLE ZWAMESSAGE DROP COLUMN ZFROMJID"],
        ["DROP TABLE ZWAMEDIAITEM"],
        [
            f"ALTER TABLE ZWAMEDIAITEM DROP COLUMN {c}"
            for c in ("ZMEDIALOCALPATH", "ZVCARDSTRING", "ZFILESIZE")
        ],
    ],
    ids=["texts-names", "group-member", "senders", "media", "media-columns"],
)
async def test_a_database_lacking_optional_columns_gives_nulls(statements: list[str]) -> None:
    main, wal_bytes, _ = generated(16, True)
    data = edited(main, wal_bytes, *statements)
    database = loaded(SOURCE, data, None)
    messages = await reader.messages(database, ViewQuery(limit=1000, q="a"))
    assert answer(await reader.messages(database, ViewQuery(limit=1000))) == oracle.messages(
        data, None, limit=1000
    )
    assert answer(messages) == oracle.messages(data, None, limit=1000, q="a")
    assert answer(await reader.chats(database, ViewQuery())) == oracle.chats(data, None)
    everything = (await reader.messages(database, ViewQuery(limit=1000))).items
    joined = " ".join(statements)
    if "ZTEXT" in joined:
        assert all(m.text is None for m in everything)
        assert messages.total == 0
    if "ZFROMJID" in joined:
        assert all(m.sender is None for m in everything)
    if "DROP TABLE ZWAMEDIAITEM" in joined:
        assert all(m.media is None for m in everything)
    if "ZMEDIALOCALPATH" in joined:
        media = [m.media for m in everything if m.media is not None]
        assert len(media) == 7
        assert all(item == type(item)(None, None, None, None) for item in media)


@pytest.mark.parametrize(
    ("statements", "view", "named"),
    [
        (["DROP TABLE ZWAMESSAGE"], "messages", "no ZWAMESSAGE table"),
        (["DROP TABLE ZWAMESSAGE"], "chats", "no ZWAMESSAGE table"),
        (
            ["DROP INDEX ZWAMESSAGE_ZMESSAGEDATE_INDEX", "ALTER TABLE ZWAMESSAGE DROP COLUMN ZMESSAGEDATE"],
            "messages",
            "ZMESSAGEDATE",
        ),
        (
            ["DROP INDEX ZWAMESSAGE_ZCHATSESSION_INDEX", "ALTER TABLE ZWAMESSAGE DROP COLUMN ZCHATSESSION"],
            "chats",
            "ZCHATSESSION",
        ),
        (["ALTER TABLE ZWAMESSAGE DROP COLUMN ZISFROMME"], "messages", "ZISFROMME"),
        (["DROP TABLE ZWACHATSESSION"], "chats", "no ZWACHATSESSION table"),
        (["ALTER TABLE ZWACHATSESSION DROP COLUMN ZCONTACTJID"], "chats", "ZCONTACTJID"),
    ],
)
async def test_a_database_lacking_what_a_view_needs_is_unreadable(
    statements: list[str], view: str, named: str
) -> None:
    main, wal_bytes, _ = generated(15, False)
    await assert_unreadable(reader, view, SOURCE, edited(main, wal_bytes, *statements), named)


@versions
async def test_an_empty_database_has_empty_views(ios: int) -> None:
    connection = sqlite3.connect(":memory:")
    for statement in schema(ios):
        connection.execute(statement)
    database = loaded(SOURCE, connection.serialize(), None)
    assert answer(await reader.messages(database, ViewQuery(q="x"))) == {"items": [], "total": 0}
    assert answer(await reader.messages(database, ViewQuery())) == {"items": [], "total": 0}
    assert answer(await reader.chats(database, ViewQuery())) == {"items": [], "total": 0}


_COLUMNS = "Z_PK, ZCHATSESSION, ZISFROMME, ZMESSAGEDATE, ZTEXT, ZFROMJID, ZGROUPMEMBER"
_MESSAGE = f"INSERT INTO ZWAMESSAGE ({_COLUMNS}) VALUES"
_ODD_ROWS = [
    "INSERT INTO ZWACHATSESSION (Z_PK, ZCONTACTJID, ZPARTNERNAME) VALUES (1, NULL, CAST(x'ff41' AS TEXT))",
    "INSERT INTO ZWACHATSESSION (Z_PK, ZCONTACTJID, ZPARTNERNAME) VALUES (2, '1@g.us', '')",
    "INSERT INTO ZWAGROUPMEMBER (Z_PK, ZMEMBERJID) VALUES (1, ''), (2, x'c3a9')",
    f"{_MESSAGE} (1, 1, 0, 1e300, NULL, 'a@s.whatsapp.net', NULL)",
    f"{_MESSAGE} (2, 1, 1, -1e12, 'before year 1', 'me', NULL)",
    f"{_MESSAGE} (3, 2, 0, 700000000.0000005, 'half', '1@g.us', 1)",
    f"{_MESSAGE} (4, 2, 0, 700000000, 'whole', '1@g.us', 2)",
    f"{_MESSAGE} (5, 2, 'x', 'today', CAST(x'fffe' AS TEXT), '1@g.us', 99)",
    f"{_MESSAGE} (6, 'two', 0, 1, 'chat id as text', NULL, NULL)",
    f"{_MESSAGE} (7, 1, NULL, NULL, NULL, NULL, NULL)",
    f"{_MESSAGE} (8, 2, 0, 9223372036854775807, 'huge int', NULL, NULL)",
    "INSERT INTO ZWAMEDIAITEM (Z_PK, ZMESSAGE, ZMEDIALOCALPATH, ZVCARDSTRING, ZFILESIZE) VALUES "
    "(1, 1, '/var/mobile/x.jpg', 'image/jpeg', 'big'), (2, 1, 'Media/a.jpg', 'BEGIN:VCARD\nEND:VCARD', 3.5), "
    "(3, 4, 'Message/Media/b.jpg', 'image/jpeg\n', 10), (4, 404, 'Media/c.jpg', NULL, 1)",
]


async def test_odd_rows_read_as_sqlite_reads_them() -> None:
    connection = sqlite3.connect(":memory:")
    for statement in [*schema(18), *_ODD_ROWS]:
        connection.execute(statement)
    data = connection.serialize()
    database = loaded(SOURCE, data, None)
    page = await reader.messages(database, ViewQuery(limit=1000))
    assert answer(page) == oracle.messages(data, None, limit=1000)
    assert answer(await reader.chats(database, ViewQuery())) == oracle.chats(data, None)
    by_id = {m.id: m for m in page.items}
    assert 6 not in by_id
    assert by_id[1].sent_at is None
    assert by_id[2].sent_at is None
    assert by_id[1].media is not None
    assert by_id[1].media.relative_path == "/var/mobile/x.jpg"  # the lowest Z_PK of its two items
    assert by_id[1].media.entry is None  # an absolute path names no entry
    assert by_id[3].sender == "1@g.us"  # the member's JID is empty: the message's own
    assert by_id[4].sender == "é"
    for case in ({"since": by_id[4].sent_at}, {"until": by_id[4].sent_at}, {"q": "WHOLE"}, {"chat_id": 2}):
        filtered = await reader.messages(database, ViewQuery(limit=1000, **case))
        assert answer(filtered) == oracle.messages(data, None, limit=1000, **case)


def test_the_generator_is_deterministic_given_its_seed() -> None:
    assert_seeded(lambda seed: whatsapp_entries(17, wal=True, seed=seed), DATABASE)
