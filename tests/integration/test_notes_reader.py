"""The Notes reader against an independent reading (tests/support/app_oracles/notes: sqlite3, gzip and
Google's protobuf) of generated stores of every iOS version, with and without a -wal; the generated store
checked by outside readers first."""

import asyncio
import gzip
import shutil
import sqlite3
import subprocess
import tempfile
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from ios_backup_api.adapters.apps.notes import SqliteNotesReader
from ios_backup_api.adapters.backup_writer.apps.note_body import note_body, note_protobuf
from ios_backup_api.adapters.backup_writer.apps.notes import (
    DATABASE,
    generated_notes,
    notes_entries,
)
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.views.pages import SOURCES, ViewName, ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Note
from tests.support.app_databases import files_by_path, in_memory
from tests.support.app_oracles import notes as oracle
from tests.support.app_views import answer
from tests.support.notestore_proto import note_text

VERSIONS = [14, 15, 16, 17, 18]
SOURCE = SOURCES[ViewName.NOTES]


def _read(
    main: bytes, wal: bytes | None, query: ViewQuery, reader: SqliteNotesReader | None = None
) -> ViewPage[Note]:
    return asyncio.run((reader or SqliteNotesReader()).notes(in_memory(SOURCE, main, wal), query))


def _sqlite_cli(main: bytes, wal: bytes | None, sql: str) -> str:
    folder = Path(tempfile.mkdtemp(prefix="notes-cli-"))
    try:
        (folder / DATABASE).write_bytes(main)
        if wal is not None:
            (folder / f"{DATABASE}-wal").write_bytes(wal)
        done = subprocess.run(
            ["/usr/bin/sqlite3", str(folder / DATABASE), sql], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", params=[(ios, wal) for ios in VERSIONS for wal in (False, True)], ids=str)
def store(request: pytest.FixtureRequest) -> tuple[int, bytes, bytes | None]:
    ios, wal = request.param
    files = files_by_path(notes_entries(ios, wal=wal, seed=ios))
    assert (f"{DATABASE}-wal" in files) == wal
    return ios, files[DATABASE], files.get(f"{DATABASE}-wal")


def test_the_generated_store_is_what_the_sqlite3_cli_and_google_protobuf_read(
    store: tuple[int, bytes, bytes | None],
) -> None:
    ios, main, wal = store
    assert _sqlite_cli(main, wal, "PRAGMA integrity_check") == "ok"
    columns = set(
        _sqlite_cli(main, wal, "SELECT name FROM pragma_table_info('ZICCLOUDSYNCINGOBJECT')").split()
    )
    for column, since in (
        ("ZLASTOPENEDDATE", 14),
        ("ZCREATIONDATE3", 15),
        ("ZACCOUNT5", 15),
        ("ZACCOUNT6", 16),
        ("ZACCOUNT7", 17),
        ("ZGENERATION", 17),
        ("ZUNAPPLIEDENCRYPTEDRECORDDATA", 18),
    ):
        assert (column in columns) == (ios >= since), column
    written = {note.pk: note for note in generated_notes(seed=ios)}
    notes = _sqlite_cli(
        main,
        wal,
        "SELECT n.Z_PK, hex(d.ZDATA) FROM ZICCLOUDSYNCINGOBJECT n LEFT JOIN ZICNOTEDATA d "
        "ON d.Z_PK = n.ZNOTEDATA WHERE n.Z_ENT = (SELECT Z_ENT FROM Z_PRIMARYKEY WHERE Z_NAME = 'ICNote') "
        "ORDER BY n.Z_PK",
    ).splitlines()
    assert [int(line.split("|")[0]) for line in notes] == sorted(written)
    for line in notes:
        pk, data = line.split("|")
        note = written[int(pk)]
        if note.locked:  # encrypted: no gzip stream to read
            with pytest.raises(gzip.BadGzipFile):
                gzip.decompress(bytes.fromhex(data))
        elif note.text is None:
            assert data == ""
        else:
            assert note_text(gzip.decompress(bytes.fromhex(data))) == note.text
    if wal is not None:  # the newest note and the edit of the first are in the WAL only
        assert _sqlite_cli(main, None, "SELECT max(Z_PK) FROM ZICCLOUDSYNCINGOBJECT") == "19"


def _queries() -> list[dict[str, Any]]:
    return [
        {},
        {"q": "shopping"},
        {"q": "OAT MILK"},  # in the text the WAL's edit wrote
        {"q": "STRASSE"},  # case folding: ß folds to ss
        {"q": "ΣΊΣΥΦΟΣ"},
        {"q": "日本語"},
        {"q": "bank"},  # a locked note's title
        {"q": "day 699"},  # deep in a long body
        {"q": "nothing like this"},
        {"q": "e"},
    ]


def test_every_field_order_and_filter_equal_the_oracle(store: tuple[int, bytes, bytes | None]) -> None:
    _, main, wal = store
    database = in_memory(SOURCE, main, wal)
    for filters in _queries():
        page = asyncio.run(SqliteNotesReader().notes(database, ViewQuery(limit=1000, **filters)))
        assert answer(page) == oracle.notes(main, wal, limit=1000, **filters), filters


@pytest.mark.parametrize("head", [0, 3, 1000])  # the whole order; a top-N ending on the first page; all top-N
def test_pages_slice_the_same_order(store: tuple[int, bytes, bytes | None], head: int) -> None:
    _, main, wal = store
    database = in_memory(SOURCE, main, wal)
    for q in (None, "e"):
        for offset in range(0, 12, 4):
            query = ViewQuery(limit=4, offset=offset, q=q)
            page = asyncio.run(SqliteNotesReader(head=head).notes(database, query))
            assert answer(page) == oracle.notes(main, wal, q=q, limit=4, offset=offset)


def test_what_the_view_shows_of_the_generated_notes(store: tuple[int, bytes, bytes | None]) -> None:
    ios, main, wal = store
    by_id = {note.id: note for note in _read(main, wal, ViewQuery(limit=1000)).items}
    written = {note.pk: note for note in generated_notes(seed=ios)}
    assert set(by_id) == {pk for pk, note in written.items() if not note.marked_for_deletion}
    assert (by_id[12].locked, by_id[12].text, by_id[12].title) == (True, None, "Bank codes")
    assert by_id[10].text == written[10].text
    assert by_id[10].text is not None
    assert by_id[10].text.endswith("Oat milk")  # the WAL's edit, when there is one
    assert (by_id[13].folder, by_id[18].folder, by_id[11].folder) == ("Recently Deleted", None, "Travel ✈️")
    assert (by_id[16].text, by_id[15].text, by_id[18].created_at) == (None, "", None)
    assert by_id[17].text == written[17].text
    modified = by_id[20].modified_at
    assert modified is not None
    assert modified.microsecond > 0


def _custom(*statements: str, rows: tuple[tuple[str, tuple[Any, ...]], ...] = ()) -> bytes:
    connection = sqlite3.connect(":memory:")
    for statement in statements:
        connection.execute(statement)
    for sql, values in rows:
        connection.execute(sql, values)
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


_KEYS = (
    "CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER)"
)
_ICNOTE = ("INSERT INTO Z_PRIMARYKEY VALUES (7, 'ICNote', 0, 0)", ())


def test_a_store_lacking_optional_columns_gives_nulls() -> None:
    main = _custom(
        _KEYS,
        "CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER)",
        rows=(_ICNOTE, ("INSERT INTO ZICCLOUDSYNCINGOBJECT VALUES (1, 7), (2, 7), (3, 8)", ())),
    )
    page = _read(main, None, ViewQuery())
    assert answer(page) == oracle.notes(main)
    assert [asdict(note) for note in page.items] == [
        {
            "id": pk,
            "title": None,
            "snippet": None,
            "folder": None,
            "created_at": None,
            "modified_at": None,
            "locked": False,
            "text": None,
        }
        for pk in (1, 2)
    ]
    assert _read(main, None, ViewQuery(q="x")).total == 0


def test_bodies_found_through_zicnotedata_znote_when_the_note_has_no_znotedata() -> None:
    main = _custom(
        _KEYS,
        "CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, ZTITLE1 VARCHAR)",
        "CREATE TABLE ZICNOTEDATA (Z_PK INTEGER PRIMARY KEY, ZNOTE INTEGER, ZDATA BLOB)",
        rows=(
            _ICNOTE,
            ("INSERT INTO ZICCLOUDSYNCINGOBJECT VALUES (1, 7, 'Hi')", ()),
            ("INSERT INTO ZICNOTEDATA VALUES (50, 1, ?)", (note_body("Hi\nthere"),)),
        ),
    )
    assert [note.text for note in _read(main, None, ViewQuery()).items] == ["Hi\nthere"]


@pytest.mark.parametrize(
    ("statements", "missing"),
    [
        ((_KEYS,), "ZICCLOUDSYNCINGOBJECT"),
        (("CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER)",), "Z_PRIMARYKEY"),
        ((_KEYS, "CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER)"), "ICNote"),
        ((_KEYS, "CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, ZTITLE1 VARCHAR)"), "Z_ENT"),
    ],
)
def test_a_store_lacking_what_the_view_needs_is_unreadable(statements: tuple[str, ...], missing: str) -> None:
    with pytest.raises(ViewUnreadableError, match=missing):
        _read(_custom(*statements), None, ViewQuery())


def test_an_empty_store_has_no_notes() -> None:
    main = _custom(
        _KEYS, "CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER)", rows=(_ICNOTE,)
    )
    page = _read(main, None, ViewQuery())
    assert (page.items, page.total) == ([], 0)


def test_odd_values_read_as_the_oracle_reads_them() -> None:
    not_utf8 = b"\xff\xfe \xc3("
    rows = [
        (1, b"Bad \xff title", not_utf8, 1e300, -1e300, "yes", note_body("fine\ntext")),
        (2, None, None, 2**62, None, 0, b"not gzip at all"),
        (3, "Garbage protobuf", None, 5.5, 5.5, 0, gzip.compress(b"\x0b\x0c\xff", mtime=0)),
        (4, "Not UTF-8 inside", None, 5.5, 5.5, 0, gzip.compress(note_protobuf("x").replace(b"x", b"\xff"))),
        (5, "Truncated", None, 7.0, 7.0, None, note_body("cut short")[:-12]),
        (6, "zlib, not gzip", None, 8.0, 8.0, 0, zlib.compress(note_protobuf("zlib body"))),
        (7, 12345, None, "Tuesday", 9.0, 0, None),
        (8, "Locked, yet readable", None, 10.0, 10.0, 1, note_body("a secret")),  # the flag is what counts
    ]
    statements = (
        _KEYS,
        "CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, ZTITLE1 VARCHAR, "
        "ZSNIPPET VARCHAR, ZMODIFICATIONDATE1 TIMESTAMP, ZCREATIONDATE1 TIMESTAMP, "
        "ZISPASSWORDPROTECTED INTEGER, "
        "ZNOTEDATA INTEGER)",
        "CREATE TABLE ZICNOTEDATA (Z_PK INTEGER PRIMARY KEY, ZDATA BLOB)",
    )
    inserts = [_ICNOTE]
    for pk, title, snippet, modified, created, locked, data in rows:
        inserts.append(
            (
                "INSERT INTO ZICCLOUDSYNCINGOBJECT "
                "VALUES (?, 7, CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?, ?)",
                (pk, title, snippet, modified, created, locked, pk + 10),
            )
        )
        inserts.append(("INSERT INTO ZICNOTEDATA VALUES (?, ?)", (pk + 10, data)))
    main = _custom(*statements, rows=tuple(inserts))
    page = _read(main, None, ViewQuery())
    assert answer(page) == oracle.notes(main)
    by_id = {note.id: note for note in page.items}
    assert (by_id[1].locked, by_id[1].text) == (False, "fine\ntext")  # a flag is a number; "yes" is none
    assert (by_id[1].modified_at, by_id[2].text, by_id[3].text, by_id[5].text) == (None,) * 4
    assert by_id[4].text == "\ufffd"
    assert by_id[6].text == "zlib body"
    assert (by_id[8].locked, by_id[8].text) == (True, None)
    assert by_id[1].title is not None
    assert "\ufffd" in by_id[1].title


def test_a_body_inflating_beyond_the_bound_is_not_read() -> None:
    # the note's text comes first, then 50 kB of padding: only the bound keeps the reader from the text
    bomb = gzip.compress(note_protobuf("Big") + b"\x4a\xd0\x86\x03" + b"a" * 50_000, mtime=0)
    main = _custom(
        _KEYS,
        "CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, ZNOTEDATA INTEGER)",
        "CREATE TABLE ZICNOTEDATA (Z_PK INTEGER PRIMARY KEY, ZDATA BLOB)",
        rows=(
            _ICNOTE,
            ("INSERT INTO ZICCLOUDSYNCINGOBJECT VALUES (1, 7, 1)", ()),
            ("INSERT INTO ZICNOTEDATA VALUES (1, ?)", (bomb,)),
        ),
    )
    assert len(bomb) < 1000
    assert _read(main, None, ViewQuery(), SqliteNotesReader(max_body_bytes=10_000)).items[0].text is None
    assert _read(main, None, ViewQuery(), SqliteNotesReader(max_body_bytes=60_000)).items[0].text is not None


def test_the_same_seed_writes_the_same_store() -> None:
    first, again, other = (files_by_path(notes_entries(16, wal=False, seed=seed)) for seed in (3, 3, 4))
    assert first == again
    assert first != other
