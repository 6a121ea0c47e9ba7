"""The Notes reader against the oracle (sqlite3, gzip and Google's protobuf) on stores hypothesis makes up:
any value in any column, bodies readable, broken or hostile, every `q` and page."""

import asyncio
import gzip
import sqlite3
from dataclasses import asdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps.notes import SqliteNotesReader
from ios_backup_api.adapters.backup_writer.apps.note_body import note_body, note_protobuf
from ios_backup_api.domain.views.pages import SOURCES, ViewName, ViewQuery
from tests.support.app_databases import in_memory
from tests.support.app_oracles import notes as oracle

_words = st.text(st.sampled_from("aAßsSéÉ ΣσςkK\n"), max_size=12)
_bodies = st.one_of(
    _words.map(note_body),
    st.none(),
    st.binary(max_size=16),
    st.binary(max_size=24).map(lambda junk: gzip.compress(junk, mtime=0)),
    _words.map(lambda text: gzip.compress(note_protobuf(text)[:-1], mtime=0)),  # a truncated protobuf
    _words.map(lambda text: note_body(text)[:-3]),  # a truncated gzip stream
)
_rows = st.lists(
    st.tuples(
        st.sampled_from([7, 7, 7, 8]),  # Z_ENT: ICNote, or another entity
        st.one_of(_words, st.none(), st.binary(max_size=3)),  # ZTITLE1
        st.one_of(_words, st.none()),  # ZSNIPPET
        st.sampled_from([None, 100, 101, 999]),  # ZFOLDER
        st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.none(), st.sampled_from([1e300, "x", 5.0])),
        st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.none(), st.sampled_from([5.0, 5.0000004, 2**62])),
        st.sampled_from([0, 1, None, "yes"]),  # ZISPASSWORDPROTECTED
        st.sampled_from([0, 1, None]),  # ZMARKEDFORDELETION
        _bodies,
    ),
    max_size=10,
)


def _store(rows: list[tuple[Any, ...]]) -> bytes:
    connection = sqlite3.connect(":memory:")
    for statement in (
        "CREATE TABLE Z_PRIMARYKEY "
        "(Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER)",
        "CREATE TABLE ZICCLOUDSYNCINGOBJECT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, ZTITLE1 VARCHAR, "
        "ZSNIPPET VARCHAR, ZFOLDER INTEGER, ZCREATIONDATE3 TIMESTAMP, ZMODIFICATIONDATE1 TIMESTAMP, "
        "ZISPASSWORDPROTECTED INTEGER, ZMARKEDFORDELETION INTEGER, ZNOTEDATA INTEGER, ZTITLE2 VARCHAR, "
        "ZCREATIONDATE1 TIMESTAMP)",
        "CREATE TABLE ZICNOTEDATA (Z_PK INTEGER PRIMARY KEY, ZNOTE INTEGER, ZDATA BLOB)",
        "INSERT INTO Z_PRIMARYKEY VALUES (7, 'ICNote', 0, 0), (9, 'ICFolder', 0, 0)",
        "INSERT INTO ZICCLOUDSYNCINGOBJECT (Z_PK, Z_ENT, ZTITLE2) VALUES (100, 9, 'Notes'), (101, 9, NULL)",
    ):
        connection.execute(statement)
    for pk, (entity, title, snippet, folder, created, modified, locked, deleted, body) in enumerate(rows, 1):
        connection.execute(
            "INSERT INTO ZICCLOUDSYNCINGOBJECT VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 3.0)",
            (pk, entity, title, snippet, folder, created, modified, locked, deleted, pk + 500),
        )
        connection.execute("INSERT INTO ZICNOTEDATA VALUES (?, ?, ?)", (pk + 500, pk, body))
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows, q=st.one_of(st.none(), _words), limit=st.integers(1, 4), offset=st.integers(0, 8))
def test_the_reader_answers_what_the_oracle_reads(
    rows: list[tuple[Any, ...]], q: str | None, limit: int, offset: int
) -> None:
    main = _store(rows)
    database = in_memory(SOURCES[ViewName.NOTES], main)
    page = asyncio.run(SqliteNotesReader().notes(database, ViewQuery(limit=limit, offset=offset, q=q)))
    expected = oracle.notes(main, q=q, limit=limit, offset=offset)
    assert {"items": [asdict(item) for item in page.items], "total": page.total} == expected
