"""The WAL reader against SQLite's own recovery: for any history of transactions, some checkpointed into
the database and the rest left in its `-wal` (cut short, corrupted or not), the database the reader builds
holds exactly what sqlite3 reads from the two files side by side."""

import mmap
import shutil
import sqlite3
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps.loading import loaded_ram_database
from ios_backup_api.adapters.apps.wal import WalMismatchError, applied, apply
from ios_backup_api.adapters.backup_writer.apps.sqlite_files import database_files
from ios_backup_api.adapters.sql.ram_file import RamFiles
from ios_backup_api.domain.views.pages import EntryRef

Statement = tuple[str, tuple[object, ...]]
_ROWS = st.integers(0, 40)
_VALUES = st.one_of(
    st.none(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=30), st.binary(max_size=3000)
)
_STATEMENTS = st.one_of(
    st.tuples(st.just("INSERT INTO t (k, v) VALUES (?, ?)"), st.tuples(_ROWS, _VALUES)),
    st.tuples(st.just("UPDATE t SET v = ? WHERE k = ?"), st.tuples(_VALUES, _ROWS)),
    st.tuples(st.just("DELETE FROM t WHERE k = ?"), st.tuples(_ROWS)),
)
_TRANSACTIONS = st.lists(st.lists(_STATEMENTS, min_size=1, max_size=8), max_size=6)


def _filling(transactions: list[list[Statement]], schema: bool) -> object:
    def fill(connection: sqlite3.Connection) -> None:
        if schema:
            connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v)")
            connection.execute("CREATE INDEX t_k ON t (k)")
        for transaction in transactions:
            for sql, parameters in transaction:
                connection.execute(sql, parameters)

    return fill


def _dump(connection: sqlite3.Connection) -> list[object]:
    tables = connection.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    rows = connection.execute("SELECT * FROM t ORDER BY id").fetchall() if tables else []
    return [tables, rows]


def _sqlite_reading(folder: Path, database: bytes, wal: bytes | None) -> list[object]:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    (folder / "app.db").write_bytes(database)
    if wal is not None:
        (folder / "app.db-wal").write_bytes(wal)
    connection = sqlite3.connect(folder / "app.db")
    try:
        return _dump(connection)
    finally:
        connection.close()


def _our_reading(database: bytes, wal: bytes | None) -> list[object]:
    connection = sqlite3.connect(":memory:")
    connection.deserialize(bytes(applied(database, wal or b"")))
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    found = _dump(connection)
    assert _ram_file_reading(database, wal) == found  # the log applied in a RAM file's mapping, alike
    return found


def _ram_file_reading(database: bytes, wal: bytes | None) -> list[object]:
    ram = RamFiles(Path("/dev/shm")).allocate(len(database))
    assert ram is not None
    assert ram.file is not None
    mapping = mmap.mmap(ram.file.fileno(), len(database))
    mapping[:] = database
    loaded = loaded_ram_database(EntryRef("HomeDomain", "app.db"), ram, mapping, bytearray(wal or b""))
    try:
        return loaded._read(lambda connection: [*_dump(connection), _integrity(connection)])[:2]
    finally:
        loaded.close()


def _integrity(connection: sqlite3.Connection) -> None:
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    older=_TRANSACTIONS,
    newer=_TRANSACTIONS,
    cut=st.none() | st.integers(0, 2**20),
    flip=st.none() | st.integers(0, 2**20),
)
def test_the_database_with_its_wal_applied_is_what_sqlite_reads(
    tmp_path: Path,
    older: list[list[Statement]],
    newer: list[list[Statement]],
    cut: int | None,
    flip: int | None,
) -> None:
    # Each of `newer`'s transactions commits on its own: the WAL holds one commit frame per transaction.
    def newest(connection: sqlite3.Connection) -> None:
        for transaction in newer:
            for sql, parameters in transaction:
                connection.execute(sql, parameters)
            connection.execute("COMMIT")
            connection.execute("BEGIN")

    database, wal = database_files(_filling(older, schema=True), newest)  # type: ignore[arg-type]
    assert wal is not None
    if cut is not None:
        wal = wal[: cut % (len(wal) + 1)]
    if flip is not None and wal:
        damaged = bytearray(wal)
        damaged[flip % len(wal)] ^= 0x40
        wal = bytes(damaged)
    assert _our_reading(database, wal) == _sqlite_reading(tmp_path / "sqlite", database, wal)


def test_the_log_of_an_empty_database_is_ignored_as_sqlite_ignores_it(tmp_path: Path) -> None:
    _, wal = database_files(lambda _: None, _filling([[("INSERT INTO t (k) VALUES (?)", (7,))]], True))  # type: ignore[arg-type]
    assert wal is not None
    assert applied(b"", wal) == b""
    assert _sqlite_reading(tmp_path / "sqlite", b"", wal) == [[], []]


def test_frames_of_an_older_generation_of_the_log_are_not_applied(tmp_path: Path) -> None:
    database, wal = database_files(
        _filling([], schema=True),  # type: ignore[arg-type]
        _filling([[("INSERT INTO t (k) VALUES (?)", (1,))]], schema=False),  # type: ignore[arg-type]
    )
    assert wal is not None
    renewed = bytearray(wal)
    renewed[16:20] = struct.pack(">I", struct.unpack_from(">I", wal, 16)[0] + 1)  # salt-1 of a new generation
    assert _our_reading(database, bytes(renewed)) == _sqlite_reading(tmp_path / "s", database, bytes(renewed))
    assert _our_reading(database, bytes(renewed))[1] == []


def test_the_copy_opens_without_a_log_and_the_inputs_are_left_alone() -> None:
    database, wal = database_files(
        _filling([], schema=True),  # type: ignore[arg-type]
        _filling([[("INSERT INTO t (k) VALUES (?)", (1,))]], schema=False),  # type: ignore[arg-type]
    )
    assert wal is not None
    assert database[18:20] == b"\x02\x02"
    before = (bytes(database), bytes(wal))
    result = applied(database, wal)
    assert result[18:20] == b"\x01\x01"
    assert (database, wal) == before


def test_a_log_of_another_page_size_is_refused() -> None:
    database, _ = database_files(_filling([], schema=True))  # type: ignore[arg-type]
    _, wal = database_files(
        _filling([], schema=True),  # type: ignore[arg-type]
        _filling([[("INSERT INTO t (k) VALUES (?)", (1,))]], schema=False),  # type: ignore[arg-type]
        page_size=8192,
    )
    assert wal is not None
    with pytest.raises(WalMismatchError):
        applied(database, wal)
    in_place = bytearray(database)
    with pytest.raises(WalMismatchError):
        apply(in_place, wal)
    assert in_place == database, "a log refused changes nothing"


def test_applying_in_place_gives_what_a_copy_gets() -> None:
    database, wal = database_files(
        _filling([], schema=True),  # type: ignore[arg-type]
        _filling(
            [[("INSERT INTO t (k, v) VALUES (?, ?)", (n, b"v" * 900)) for n in range(40)]], schema=False
        ),  # type: ignore[arg-type]
    )
    assert wal is not None
    in_place = bytearray(database)
    apply(in_place, wal)
    assert in_place == applied(database, wal)
    assert len(in_place) > len(database), "the log's commit grew the database"


def test_the_frames_of_a_transaction_cut_short_are_left_out_and_earlier_commits_kept(tmp_path: Path) -> None:
    def newest(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO t (k, v) VALUES (1, 'committed')")
        connection.execute("COMMIT")
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO t (k, v) VALUES (?, ?)", [(2, b"x" * 3000)] * 20)

    database, wal = database_files(_filling([], schema=True), newest)  # type: ignore[arg-type]
    assert wal is not None
    frame = 24 + 4096
    sizes = [
        struct.unpack_from(">I", wal, 32 + index * frame + 4)[0] for index in range((len(wal) - 32) // frame)
    ]
    first_commit = sizes.index(next(size for size in sizes if size))
    assert len(sizes) > first_commit + 2, "the second transaction spans several frames"
    cut = wal[: 32 + (first_commit + 2) * frame]  # the first commit and one frame of the second transaction
    ours = _our_reading(database, cut)
    assert ours == _sqlite_reading(tmp_path / "sqlite", database, cut)
    assert ours[1] == [(1, 1, "committed")]


def test_a_log_that_grows_the_database_grows_a_ram_file_s_mapping(tmp_path: Path) -> None:
    def newest(connection: sqlite3.Connection) -> None:
        for k in range(50):
            connection.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, bytes([k]) * 3000))

    database, wal = database_files(_filling([], schema=True), newest)  # type: ignore[arg-type]
    assert wal is not None
    assert len(applied(database, wal)) > len(database) + 40 * 4096  # the log holds pages past the end
    assert _ram_file_reading(database, wal) == _sqlite_reading(tmp_path / "sqlite", database, wal)
