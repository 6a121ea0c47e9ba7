"""The Photos reader against an independent reading (tests/support/app_oracles/photos) of generated
libraries of every iOS version, with and without a -wal; the generated files checked by outside readers
first."""

import asyncio
import io
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ios_backup_api.adapters.apps.photos import SqlitePhotosReader
from ios_backup_api.adapters.backup_writer.apps.photos import (
    DATABASE,
    DOMAIN,
    generated_assets,
    photos_entries,
)
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.views.pages import SOURCES, ViewName, ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Photo
from tests.support.app_databases import files_by_path, in_memory
from tests.support.app_oracles import photos as oracle
from tests.support.app_views import answer

VERSIONS = [13, 14, 15, 16, 17, 18]
SOURCE = SOURCES[ViewName.PHOTOS]


def _read(main: bytes, wal: bytes | None, query: ViewQuery, head: int = 1000) -> ViewPage[Photo]:
    reader = SqlitePhotosReader(head=head)
    return asyncio.run(reader.photos(in_memory(SOURCE, main, wal), query))


# Both ways to a page: a prefix of the order (the first pages), and the whole order sorted once.
HEADS = pytest.mark.parametrize("head", [0, 1000], ids=["sorted", "prefix"])


def _sqlite_cli(main: bytes, wal: bytes | None, sql: str) -> str:
    folder = Path(tempfile.mkdtemp(prefix="photos-cli-"))
    try:
        (folder / "Photos.sqlite").write_bytes(main)
        if wal is not None:
            (folder / "Photos.sqlite-wal").write_bytes(wal)
        done = subprocess.run(
            ["/usr/bin/sqlite3", str(folder / "Photos.sqlite"), sql],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", params=[(ios, wal) for ios in VERSIONS for wal in (False, True)], ids=str)
def library(request: pytest.FixtureRequest) -> tuple[int, dict[str, bytes]]:
    ios, wal = request.param
    files = files_by_path(photos_entries(ios, wal=wal, seed=ios))
    assert (DATABASE + "-wal" in files) == wal
    return ios, files


def _database(files: dict[str, bytes]) -> tuple[bytes, bytes | None]:
    return files[DATABASE], files.get(DATABASE + "-wal")


def test_the_generated_library_is_what_the_sqlite3_cli_reads(library: tuple[int, dict[str, bytes]]) -> None:
    ios, files = library
    main, wal = _database(files)
    table = "ZASSET" if ios >= 14 else "ZGENERICASSET"
    assert _sqlite_cli(main, wal, "PRAGMA integrity_check") == "ok"
    rows = _sqlite_cli(
        main,
        wal,
        f"SELECT Z_PK, ZFAVORITE, ZTRASHEDSTATE, ZHIDDEN FROM {table} ORDER BY Z_PK",  # noqa: S608
    )
    written = generated_assets(seed=ios)
    assert rows.splitlines() == [f"{a.pk}|{a.favorite}|{a.trashed}|{a.hidden}" for a in written]
    columns = _sqlite_cli(main, wal, f"SELECT name FROM pragma_table_info('{table}')").split()  # noqa: S608
    assert ("ZADJUSTMENTSSTATE" in columns) == (ios >= 18)
    assert ("ZHASADJUSTMENTS" in columns) == (ios < 18)
    assert ("ZLIBRARYSCOPE" in columns) == (ios >= 16)
    if wal is not None:  # the newest assets and the edits are in the WAL only
        main_only = _sqlite_cli(main, None, f"SELECT count(*), sum(ZFAVORITE) FROM {table}")  # noqa: S608
        assert main_only == f"12|{sum(a.favorite for a in written if a.pk <= 12) - 1}"


def test_the_originals_and_thumbnails_are_real_media(library: tuple[int, dict[str, bytes]]) -> None:
    ios, files = library
    for asset in generated_assets(seed=ios):
        path = f"Media/{asset.directory}/{asset.filename}"
        if not asset.original_in_backup:
            assert path not in files
            continue
        if asset.is_video:
            described = subprocess.run(
                ["file", "-b", "-"], input=files[path], capture_output=True, check=True
            ).stdout.decode()
            assert "QuickTime" in described
            continue
        with Image.open(io.BytesIO(files[path])) as image:
            image.load()
            assert (image.format, image.size) == ("JPEG", (asset.width, asset.height))
        thumbnail = f"Media/PhotoData/Thumbnails/V2/{asset.directory}/{asset.filename}/5005.JPG"
        with Image.open(io.BytesIO(files[thumbnail])) as image:
            image.load()
            assert image.size == (asset.width // 2, asset.height // 2)


def _queries(expected_all: list[dict[str, Any]]) -> list[dict[str, Any]]:
    times = [item["taken_at"] for item in expected_all if item["taken_at"] is not None]
    middle = sorted(times)[len(times) // 2]
    return [
        {},
        {"kind": "photo"},
        {"kind": "video"},
        {"favorite": True},
        {"favorite": False},
        {"since": middle},
        {"until": middle},
        {"since": middle, "until": middle},  # inclusive at both ends: exactly the assets at that moment
        {"since": middle + timedelta(microseconds=1)},
        {"since": min(times), "until": max(times), "kind": "photo", "favorite": False},
    ]


@HEADS
def test_every_field_order_and_filter_equal_the_oracle(
    library: tuple[int, dict[str, bytes]], head: int
) -> None:
    _, files = library
    main, wal = _database(files)
    everything = oracle.photos(main, wal, limit=1000)
    assert everything["total"] >= 10
    for filters in _queries(everything["items"]):
        page = _read(main, wal, ViewQuery(limit=1000, **filters), head)
        assert answer(page) == oracle.photos(main, wal, limit=1000, **filters), filters


@pytest.mark.parametrize("head", [0, 7, 1000])  # sorted, the first pages by prefix, all by prefix
def test_pages_slice_the_same_order(library: tuple[int, dict[str, bytes]], head: int) -> None:
    _, files = library
    main, wal = _database(files)
    database = in_memory(SOURCE, main, wal)
    reader = SqlitePhotosReader(head=head)
    for offset in range(0, 16, 3):
        page = asyncio.run(reader.photos(database, ViewQuery(limit=3, offset=offset)))
        assert answer(page) == oracle.photos(main, wal, limit=3, offset=offset)
        assert (page.limit, page.offset) == (3, offset)


def test_what_the_view_shows_of_the_generated_assets(library: tuple[int, dict[str, bytes]]) -> None:
    ios, files = library
    main, wal = _database(files)
    page = _read(main, wal, ViewQuery(limit=1000))
    by_id = {item.id: item for item in page.items}
    written = {asset.pk: asset for asset in generated_assets(seed=ios)}
    assert set(by_id) == {pk for pk, asset in written.items() if not asset.trashed}
    assert by_id[1].latitude == pytest.approx(48.8584)
    assert by_id[2].latitude is None  # -180 is no location
    assert (by_id[10].entry, by_id[8].taken_at, page.items[-1].id) == (None, None, 8)
    assert (by_id[5].kind, by_id[5].duration_seconds, by_id[1].duration_seconds) == ("video", 3.5, None)
    nine = by_id[9].entry
    assert nine is not None
    assert nine.relative_path == f"Media/DCIM/101APPLE/{by_id[9].filename}"
    assert (by_id[2].favorite, by_id[3].hidden) == (True, False)  # edited in the WAL when there is one
    fifteen = by_id[15].taken_at
    assert fifteen is not None
    assert fifteen.microsecond > 0  # fractions kept
    for item in page.items:
        if item.entry is not None and written[item.id].original_in_backup:
            assert item.entry.domain == DOMAIN
            assert item.entry.relative_path in files


def _custom(create: str, rows: tuple[tuple[Any, ...], ...] = (), insert: str = "") -> bytes:
    connection = sqlite3.connect(":memory:")
    connection.execute(create)
    if rows:
        connection.executemany(insert, rows)
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


def test_a_library_lacking_optional_columns_gives_nulls() -> None:
    main = _custom(
        "CREATE TABLE ZASSET (Z_PK INTEGER PRIMARY KEY, ZKIND INTEGER, ZFILENAME VARCHAR)",
        ((1, 0, "a.JPG"), (2, 1, "b.MOV")),
        "INSERT INTO ZASSET VALUES (?, ?, ?)",
    )
    page = _read(main, None, ViewQuery())
    assert [asdict(item) for item in page.items] == oracle.photos(main)["items"]
    assert [
        (p.id, p.entry, p.taken_at, p.width, p.duration_seconds, p.favorite, p.latitude) for p in page.items
    ] == [
        (1, None, None, None, None, False, None),
        (2, None, None, None, None, False, None),
    ]
    assert _read(main, None, ViewQuery(favorite=True)).total == 0
    assert _read(main, None, ViewQuery(favorite=False)).total == 2
    assert _read(main, None, ViewQuery(since=datetime(2020, 1, 1, tzinfo=UTC))).total == 0


@pytest.mark.parametrize(
    ("create", "missing"),
    [
        ("CREATE TABLE ZMOMENT (Z_PK INTEGER PRIMARY KEY)", "no ZASSET"),
        ("CREATE TABLE ZASSET (Z_PK INTEGER PRIMARY KEY, ZFILENAME VARCHAR)", "ZKIND"),
        ("CREATE TABLE ZGENERICASSET (Z_PK INTEGER PRIMARY KEY, ZKIND INTEGER)", "ZFILENAME"),
    ],
)
def test_a_library_lacking_what_the_view_needs_is_unreadable(create: str, missing: str) -> None:
    with pytest.raises(ViewUnreadableError, match=missing):
        _read(_custom(create), None, ViewQuery())


def test_an_empty_library_has_no_photos() -> None:
    main = _custom("CREATE TABLE ZASSET (Z_PK INTEGER PRIMARY KEY, ZKIND INTEGER, ZFILENAME VARCHAR)")
    page = _read(main, None, ViewQuery())
    assert (page.items, page.total) == ([], 0)


def test_odd_values_read_as_the_oracle_reads_them() -> None:
    create = (
        "CREATE TABLE ZASSET (Z_PK INTEGER PRIMARY KEY, ZKIND INTEGER, ZFILENAME VARCHAR, "
        "ZDIRECTORY VARCHAR, "
        "ZDATECREATED TIMESTAMP, ZWIDTH INTEGER, ZHEIGHT INTEGER, ZDURATION FLOAT, ZFAVORITE INTEGER, "
        "ZHIDDEN INTEGER, ZTRASHEDSTATE INTEGER, ZLATITUDE FLOAT, ZLONGITUDE FLOAT)"
    )
    rows = [
        (
            1,
            0,
            b"\xff\xfe bad \xc3(.JPG",
            b"DCIM/\x80",
            1e300,
            2**63 - 1,
            -1,
            None,
            "yes",
            2,
            0,
            1e999,
            -180.0,
        ),
        (2, 1, None, "DCIM/100APPLE", -1e300, None, 0, -1e999, 1.5, None, None, -90.0, 180.0),
        (3, 2, "live.JPG", "DCIM", 0.0, 1, 1, 0.0, 0, 0, 0, 0.0, 0.0),  # a kind no view shows
        (4, 0, "gone.JPG", "DCIM", 10.0, 1, 1, 0.0, 0, 0, 1, 0.0, 0.0),  # trashed
        (5, 1, 12345, "DCIM", 2**62, 1, 1, 7, 1, 1, 0.0, "north", None),
    ]
    connection = sqlite3.connect(":memory:")
    connection.execute(create)
    for row in rows:
        connection.execute(
            "INSERT INTO ZASSET VALUES (?, ?, CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    connection.commit()
    main = connection.serialize()
    connection.close()
    page = _read(main, None, ViewQuery())
    assert [asdict(item) for item in page.items] == oracle.photos(main)["items"]
    first = next(item for item in page.items if item.id == 1)
    assert "\ufffd" in first.filename
    assert (first.taken_at, first.latitude) == (None, None)
    assert {item.id for item in page.items} == {1, 2, 5}


def test_the_same_seed_writes_the_same_library() -> None:
    first, again, other = (files_by_path(photos_entries(17, wal=True, seed=seed)) for seed in (4, 4, 5))
    wal = DATABASE + "-wal"  # its header holds salts SQLite draws at random; its rows are the seed's
    assert {k: v for k, v in first.items() if k != wal} == {k: v for k, v in again.items() if k != wal}
    assert oracle.photos(*_database(first)) == oracle.photos(*_database(again))
    assert oracle.photos(*_database(first)) != oracle.photos(*_database(other))


@pytest.mark.parametrize("head", [0, 2, 3, 5, 1000])  # sorted; a top-N ending inside a run of near times
def test_times_a_microsecond_apart_order_and_bound_as_they_show(head: int) -> None:
    # stored times nearer than the rounding to microseconds: shown equal or not, on either side of a bound
    times = [100.0, 100.0000004, 99.9999996, 100.0000006, 100.000001, 100.0004, 99.9996, 99.99999949]
    times += [7.0, 7.0, 50.0000001, 50.0000002, 50.0000003, 50.0000004]  # 50 s: stored against the id order
    main = _custom(
        "CREATE TABLE ZASSET "
        "(Z_PK INTEGER PRIMARY KEY, ZKIND INTEGER, ZFILENAME VARCHAR, ZDATECREATED TIMESTAMP)",
        tuple((pk, 0, f"{pk}.JPG", moment) for pk, moment in enumerate(times, start=1)),
        "INSERT INTO ZASSET VALUES (?, ?, ?, ?)",
    )
    bound = datetime(2001, 1, 1, 0, 1, 40, tzinfo=UTC)  # 100 s
    for filters in ({}, {"since": bound}, {"until": bound}, {"since": bound, "until": bound}):
        for limit, offset in [(100, 0), (2, 0), (3, 1), (4, 4)] + [(1, offset) for offset in range(14)]:
            page = _read(main, None, ViewQuery(limit=limit, offset=offset, **filters), head)
            assert answer(page) == oracle.photos(main, limit=limit, offset=offset, **filters), (
                filters,
                offset,
            )
