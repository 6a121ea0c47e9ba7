"""The JSON lines SQLite writes of a paged manifest's kept rows and decoded records (adapters/vault/
manifest_lines) against the reference, the page the Python path builds of the same rows, encoded by the
HTTP layer (ManifestEntryOut): for any names, flags of any type, any integers and times, any link target,
a run SQLite writes decodes to exactly the reference's JSON, in the same order; and for the rows a phone
writes (text names, integers, times from 1970), SQLite does write it."""

from array import array
from datetime import UTC, datetime
from typing import Any

import apsw
import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.vault import manifest_records, paged_manifest
from ios_backup_api.adapters.vault.manifest_lines import MAX_LINE_BYTES
from ios_backup_api.adapters.vault.mbfile import MAX_COUNT, FileRecord
from ios_backup_api.adapters.vault.paged_manifest import KeptIndex
from tests.support.entry_json import entries_json, lines_json

_INT64 = st.integers(-(2**63), 2**63 - 1)
counts = st.none() | st.integers(0, MAX_COUNT) | _INT64
moments = st.none() | st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.astimezone(UTC))
targets = st.none() | st.text(st.characters(exclude_categories=()), max_size=20)
records = st.builds(FileRecord, counts, counts, moments, counts, targets)
# A name as SQLite holds it: text (UTF-8 or any bytes, as a damaged file may hold), a blob, or an integer.
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
names = (
    texts.map(lambda text: ("text", text.encode()))
    | st.binary(max_size=12).map(lambda data: ("text", data))
    | st.binary(max_size=12).map(lambda data: ("blob", data))
    | st.integers(0, 99).map(lambda number: ("value", number))
)
flags = st.sampled_from(
    [1, 2, 4, 1.0, 2.0, 4.0, -0.0, 1.5, 0, 7, -1, 2**63 - 1, -(2**63), None, "1", b"\x01"]
)
rows = st.lists(st.tuples(names, names, names, flags, records), min_size=1, max_size=6)
_PHONES = st.tuples(
    texts.map(lambda text: ("text", text.encode())),
    texts.map(lambda text: ("text", text.encode())),
    texts.map(lambda text: ("text", text.encode())),
    st.sampled_from([1, 2, 4]),
    st.builds(
        FileRecord,
        st.integers(0, 2**40),
        st.integers(0, 0o177777),
        st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(UTC)),
        st.integers(0, 11),
        st.none() | texts,
    ),
)


def _value(name: tuple[str, Any]) -> tuple[str, Any]:
    """The SQL that puts `name` into the table as its kind says, and its parameter."""
    kind, value = name
    return ("CAST(? AS TEXT)" if kind == "text" else "?"), value


def _index_of(generated: list[tuple[Any, ...]]) -> tuple[apsw.Connection, KeptIndex]:
    connection = apsw.Connection(":memory:")
    for database in ("kept", "records"):
        connection.execute(f"ATTACH ':memory:' AS {database}")
    connection.execute(paged_manifest._CREATE_KEPT)
    connection.execute(manifest_records._CREATE)
    for position, (file_id, domain, path, flag, record) in enumerate(generated, start=1):
        (id_sql, id_value), (domain_sql, domain_value), (path_sql, path_value) = map(
            _value, (file_id, domain, path)
        )
        connection.execute(
            f"INSERT INTO kept.entries (rowid, domain, relativePath, fileID, flags, id)"  # noqa: S608
            f" VALUES (?, {domain_sql}, {path_sql}, {id_sql}, ?, ?)",
            (position, domain_value, path_value, id_value, flag, position),
        )
        connection.execute(
            "INSERT INTO records.decoded VALUES (?, ?, ?, ?, ?, ?, 0)",
            (position, *manifest_records._fields(record)),
        )
    index = KeptIndex()
    index.records.complete = True
    return connection, index


def _reference(connection: apsw.Connection, index: KeptIndex, count: int) -> list[Any] | None:
    """The page's JSON, or None when the HTTP layer can't encode it (a lone surrogate in a link's target)."""
    try:
        return entries_json(index.page(connection, range(1, count + 1)))
    except msgspec.EncodeError:
        return None


@settings(max_examples=400, deadline=None)
@example(  # the first and the last microsecond SQLite's path writes, and a fraction of a microsecond's digits
    generated=[
        (
            ("text", b"a"),
            ("text", b"D"),
            ("text", b"p"),
            1,
            FileRecord(0, 0o100644, datetime(1970, 1, 1, tzinfo=UTC), 0, None),
        ),
        (
            ("text", b"b"),
            ("text", b"D"),
            ("text", b"q"),
            4,
            FileRecord(0, 0o120755, datetime.max.replace(tzinfo=UTC), 0, 't"\\\n\x00'),
        ),
        (
            ("text", b"c"),
            ("text", b"D"),
            ("text", b"r"),
            None,
            FileRecord(1, 0o040755, datetime(2001, 1, 1, 0, 0, 0, 10, tzinfo=UTC), 3, None),
        ),
    ]
)
@given(generated=rows)
def test_a_run_sqlite_writes_is_the_json_of_the_page_python_builds(generated: list[tuple[Any, ...]]) -> None:
    connection, index = _index_of(generated)
    lines = index.lines(connection, range(1, len(generated) + 1))
    reference = _reference(connection, index, len(generated))
    if lines is not None:
        assert reference is not None, "SQLite wrote what the HTTP layer refuses to encode"
        assert lines_json(lines) == reference


@settings(max_examples=200, deadline=None)
@given(generated=st.lists(_PHONES, min_size=1, max_size=6))
def test_sqlite_writes_the_run_of_rows_a_phone_writes(generated: list[tuple[Any, ...]]) -> None:
    connection, index = _index_of(generated)
    lines = index.lines(connection, range(1, len(generated) + 1))
    assert lines is not None
    assert lines_json(lines) == _reference(connection, index, len(generated))


def test_a_run_that_skips_positions_is_read_in_their_order() -> None:
    phone = (("text", b"f"), ("text", b"D"), ("text", b"p"), 1, FileRecord(1, 0o100644, None, 1, None))
    generated = [(("text", f"{n:02}".encode()), *phone[1:]) for n in range(30)]
    connection, index = _index_of(generated)
    wanted = array("q", [3, 7, 8, 29, 30])  # a filter's matches: ascending, not a run of positions
    lines = index.lines(connection, wanted)
    assert lines is not None
    assert [entry["file_id"] for entry in lines_json(lines)] == [f"{n - 1:02}" for n in wanted]


@pytest.mark.parametrize(("emoji", "written"), [(1900, True), (2100, False)])
def test_a_line_is_bounded_by_its_bytes_not_its_characters(emoji: int, written: bool) -> None:
    """A link's target of 2,100 emoji is 2,100 characters but 8,400 bytes: past the bound, so its run is a
    page's, and a run of such lines never holds more than a page may."""
    record = FileRecord(0, 0o120755, None, 0, "\U0001f600" * emoji)
    connection, index = _index_of([(("text", b"f"), ("text", b"D"), ("text", b"p"), 4, record)])
    lines = index.lines(connection, range(1, 2))
    assert (lines is not None) == written
    assert lines is None or len(lines) <= MAX_LINE_BYTES
