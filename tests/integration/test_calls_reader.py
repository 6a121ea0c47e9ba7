"""The calls reader answers what an independent reading of CallHistory.storedata gives, on the generated
databases of iOS 14 to 18, with and without a -wal."""

import asyncio
import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps.calls import SqliteCallsReader
from ios_backup_api.adapters.backup_writer.apps.calls import PATH, calls_entries
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.views.apple_time import APPLE_EPOCH as EPOCH
from ios_backup_api.domain.views.pages import SOURCES, ViewName, ViewPage
from ios_backup_api.domain.views.records import Call
from tests.support.app_oracles import calls as oracle
from tests.support.app_views import (
    CASES,
    IOS_VERSIONS,
    Files,
    answer,
    case_id,
    check_paging,
    edited,
    read_view,
    shell_rows,
)
from tests.support.app_views import generated as generated_files

SOURCE = SOURCES[ViewName.CALLS]


def generated(ios: int, wal: bool, seed: int = 0) -> Files:
    return generated_files(calls_entries, PATH, ios, wal, seed)


@pytest.fixture(params=CASES, ids=case_id)
def database(request: pytest.FixtureRequest) -> Files:
    ios, wal = request.param
    return generated(ios, wal, seed=ios)


async def read(files: Files, **query: Any) -> ViewPage[Call]:
    return await read_view(SOURCE, SqliteCallsReader().calls, files, **query)


async def test_every_call_and_field_is_what_the_database_holds(database: Files) -> None:
    page = await read(database, limit=1000)
    assert answer(page) == oracle.calls(*database, limit=1000)
    assert page.total >= 25


async def test_pages_are_slices_of_one_order(database: Files) -> None:
    await check_paging(read, oracle.calls, database, 3)


@pytest.mark.parametrize("head", [0, 3, 8])  # the whole order; a top-N ending on the first page, further in
async def test_pages_read_by_a_top_n_are_the_same_slices(database: Files, head: int) -> None:
    async def read_with_head(files: Files, **query: Any) -> ViewPage[Call]:
        return await read_view(SOURCE, SqliteCallsReader.with_head(head).calls, files, **query)

    await check_paging(read_with_head, oracle.calls, database, 3)


async def test_since_and_until_are_inclusive_bounds_of_started_at(database: Files) -> None:
    times = [item["started_at"] for item in oracle.calls(*database, limit=1000)["items"]]
    newest, middle, older = times[2], times[len(times) // 2], times[-3]
    tiny = timedelta(microseconds=1)
    for since, until in [
        (middle, None),
        (None, middle),
        (older, newest),
        (middle, middle),
        (middle + tiny, None),
        (None, middle - tiny),
    ]:
        page = await read(database, since=since, until=until, limit=1000)
        assert answer(page) == oracle.calls(*database, since=since, until=until, limit=1000)
    assert middle in [item.started_at for item in (await read(database, since=middle, until=middle)).items]


@pytest.mark.parametrize("q", ["anna", "+49", "ZOË", "straßenbahn", "@", "👨", "whatsapp", "", "absent-x"])
async def test_q_matches_address_and_name_by_case_folding(database: Files, q: str) -> None:
    assert answer(await read(database, q=q, limit=1000)) == oracle.calls(*database, q=q, limit=1000)


async def test_filters_combine() -> None:
    files = generated(18, True)
    times = [item["started_at"] for item in oracle.calls(*files, limit=1000)["items"]]
    since, until = times[-1], times[0]
    page = await read(files, since=since, until=until, q="anna", limit=2, offset=1)
    assert answer(page) == oracle.calls(*files, since=since, until=until, q="anna", limit=2, offset=1)
    assert page.total >= 3


async def test_directions_answers_and_services_read_as_the_phone_app_shows_them() -> None:
    by_id = {item.id: item for item in (await read(generated(15, False), limit=1000)).items}
    assert (by_id[1].direction, by_id[1].answered, by_id[1].name) == ("incoming", True, "Anna Müller")
    assert (by_id[2].direction, by_id[2].answered) == ("incoming", False)  # missed
    assert (by_id[3].direction, by_id[3].answered) == ("outgoing", True)  # connected: it lasted
    assert 4 not in by_id  # deleted in the newest changes
    assert by_id[6].service == "com.apple.FaceTime"
    assert by_id[6].duration_seconds == 1234.75
    assert by_id[8].service == "net.whatsapp.WhatsApp"
    assert by_id[9].address is None
    assert by_id[10].address == ""
    assert by_id[12].service is None
    assert by_id[1].started_at is not None
    assert by_id[1].started_at.microsecond == 123456


async def test_newest_first_ties_by_the_lower_id() -> None:
    items = (await read(generated(16, True), limit=1000)).items
    assert [item.id for item in items[:4]] == [31, 30, 28, 29]  # 28 and 29 share their time
    times = [item.started_at for item in items]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]


async def test_the_addresses_older_releases_store_as_bytes_are_text() -> None:
    main, wal = generated(14, True)
    assert shell_rows(main, wal, "SELECT DISTINCT typeof(ZADDRESS) FROM ZCALLRECORD ORDER BY 1") == [
        ["blob"],
        ["null"],
    ]
    by_id = {item.id: item for item in (await read((main, wal), limit=1000)).items}
    assert by_id[7].address == "zoë@example.de"


async def test_the_wal_holds_the_newest_calls() -> None:
    main, wal = generated(17, True)
    with_wal = {item.id: item for item in (await read((main, wal), limit=1000)).items}
    before = {item.id: item for item in (await read((main, None), limit=1000)).items}
    assert set(with_wal) - set(before) == {28, 29, 30, 31}
    assert set(before) - set(with_wal) == {4}
    assert (before[5].name, with_wal[5].name) == (None, "Praxis Dr. Öz")
    assert answer(await read((main, None), limit=1000)) == oracle.calls(main, None, limit=1000)


async def test_a_database_without_optional_columns_gives_nulls() -> None:
    main = edited(
        *generated(18, True),
        "ALTER TABLE ZCALLRECORD DROP COLUMN ZADDRESS",
        "ALTER TABLE ZCALLRECORD DROP COLUMN ZNAME",
        "ALTER TABLE ZCALLRECORD DROP COLUMN ZSERVICE_PROVIDER",
    )
    page = await read((main, None), limit=1000)
    assert answer(page) == oracle.calls(main, None, limit=1000)
    assert all(item.address is None and item.name is None and item.service is None for item in page.items)
    assert (await read((main, None), q="anna")).total == 0


@pytest.mark.parametrize("column", ["ZDATE", "ZORIGINATED", "ZANSWERED", "ZDURATION"])
async def test_a_database_without_what_the_view_needs_is_unreadable(column: str) -> None:
    main = edited(
        *generated(16, False), "DROP INDEX Z_CallRecord_date", f"ALTER TABLE ZCALLRECORD DROP COLUMN {column}"
    )
    with pytest.raises(ViewUnreadableError, match=f"ZCALLRECORD.{column}"):
        await read((main, None))


async def test_a_database_without_call_records_is_unreadable() -> None:
    main = edited(*generated(16, False), "DROP TABLE ZCALLRECORD")
    with pytest.raises(ViewUnreadableError, match="no ZCALLRECORD table"):
        await read((main, None))


async def test_an_empty_call_history_has_no_calls() -> None:
    main = edited(*generated(18, True), "DELETE FROM ZCALLRECORD")
    page = await read((main, None), since=EPOCH)
    assert (page.items, page.total) == ([], 0)
    assert answer(await read((main, None))) == oracle.calls(main, None)


async def test_odd_values_are_read_as_the_oracle_reads_them() -> None:
    main = edited(
        *generated(15, True),
        "UPDATE ZCALLRECORD SET ZDATE = NULL, ZDURATION = NULL, ZORIGINATED = NULL WHERE Z_PK = 1",
        "UPDATE ZCALLRECORD SET ZDATE = NULL WHERE Z_PK IN (2, 3)",
        "UPDATE ZCALLRECORD SET ZDATE = 1e300, ZDURATION = 1e308, ZANSWERED = NULL WHERE Z_PK = 5",
        "UPDATE ZCALLRECORD SET ZDATE = -1e300, ZDURATION = -5 WHERE Z_PK = 6",
        "UPDATE ZCALLRECORD SET ZDATE = 'yesterday', ZDURATION = 'long' WHERE Z_PK = 7",
        "UPDATE ZCALLRECORD SET ZDATE = 9223372036854775807, ZORIGINATED = 2 WHERE Z_PK = 8",
        "UPDATE ZCALLRECORD SET ZADDRESS = X'2B3439FF', ZNAME = CAST(X'C3A4FE' AS TEXT) WHERE Z_PK = 9",
        "UPDATE ZCALLRECORD SET ZADDRESS = 4930123, ZSERVICE_PROVIDER = X'' WHERE Z_PK = 10",
    )
    page = await read((main, None), limit=1000)
    assert answer(page) == oracle.calls(main, None, limit=1000)
    by_id = {item.id: item for item in page.items}
    assert (by_id[1].started_at, by_id[1].duration_seconds, by_id[1].direction) == (None, 0.0, "incoming")
    assert [item.id for item in page.items[-7:]] == [1, 2, 3, 5, 6, 7, 8]  # no time: last, by id
    assert by_id[5].duration_seconds == 1e308
    assert by_id[5].answered is True  # outgoing, and it lasted
    assert by_id[8].direction == "outgoing"
    assert (by_id[9].address, by_id[9].name) == ("+49\ufffd", "ä\ufffd")
    assert (by_id[10].address, by_id[10].service) == ("4930123", "")
    since = await read((main, None), since=EPOCH, limit=1000)
    assert not {1, 2, 3, 5, 6, 7, 8} & {item.id for item in since.items}


def test_the_generated_databases_read_in_the_sqlite_shell() -> None:
    for ios in IOS_VERSIONS:
        main, wal = generated(ios, True)
        assert shell_rows(main, wal, "PRAGMA integrity_check") == [["ok"]]
        columns = {row[1]: row[2] for row in shell_rows(main, wal, "PRAGMA table_info(ZCALLRECORD)")}
        assert columns["ZADDRESS"] == ("BLOB" if ios <= 14 else "VARCHAR")
        assert ("ZCOMMUNICATIONTRUSTSCORE" in columns) == (ios >= 18)
        assert ("ZWASEMERGENCYCALL" in columns) == (ios >= 16)
        calls = shell_rows(
            main,
            wal,
            "SELECT Z_PK, CAST(ZADDRESS AS TEXT), ZORIGINATED, ZANSWERED, ZCALLTYPE, ZSERVICE_PROVIDER "
            "FROM ZCALLRECORD ORDER BY Z_PK",
        )
        assert ["1", "+4915112345678", "0", "1", "1", "com.apple.Telephony"] in calls
        assert ["6", "anna@icloud.com", "0", "1", "8", "com.apple.FaceTime"] in calls
        assert ["7", "zoë@example.de", "1", "0", "16", "com.apple.FaceTime"] in calls
        assert len(shell_rows(main, None, "SELECT Z_PK FROM ZCALLRECORD")) == len(calls) - 3
        group = shell_rows(
            main,
            wal,
            "SELECT h.ZVALUE FROM Z_2REMOTEPARTICIPANTHANDLES j JOIN ZHANDLE h ON h.Z_PK = "
            "j.Z_4REMOTEPARTICIPANTHANDLES WHERE j.Z_2REMOTEPARTICIPANTCALLS = 11 ORDER BY h.ZVALUE",
        )
        assert group == [["+4915112345678"], ["Jonas.Weber@me.com"], ["anna@icloud.com"]]


def test_the_generator_is_deterministic_and_seeded() -> None:
    """The same rows for the same seed (a WAL's header has salts SQLite draws anew each time)."""
    first, again, other = (generated(16, True, seed=seed) for seed in (5, 5, 6))
    assert first[0] == again[0]
    assert first[0] != other[0]
    assert oracle.calls(*first, limit=1000) == oracle.calls(*again, limit=1000)
    assert oracle.calls(*first, limit=1000) != oracle.calls(*other, limit=1000)


def _call_history(dates: list[float | None]) -> bytes:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZDATE TIMESTAMP, ZORIGINATED INTEGER, "
        "ZANSWERED INTEGER, ZDURATION FLOAT)"
    )
    connection.executemany("INSERT INTO ZCALLRECORD VALUES (NULL, ?, 0, 1, 1.5)", [(date,) for date in dates])
    connection.commit()
    return connection.serialize()


_CLOSE = 700_000_000.0
_DATES = st.lists(
    st.one_of(
        st.none(),
        st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
        st.sampled_from(
            [_CLOSE, _CLOSE + 5e-7, _CLOSE + 1e-6, _CLOSE + 1.5e-6, _CLOSE + 4.9e-7, _CLOSE - 5e-7]
        ),
        st.builds(lambda tenths: _CLOSE + tenths / 1e7, st.integers(min_value=-30, max_value=30)),
    ),
    max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(_DATES, st.integers(min_value=0, max_value=24))
def test_times_order_and_bound_to_the_microsecond_as_started_at_does(
    dates: list[float | None], pick: int
) -> None:
    """SQLite orders and bounds the times; the oracle compares the datetimes Python makes of them."""
    files: Files = (_call_history(dates), None)
    assert asyncio.run(_answer(files)) == oracle.calls(*files, limit=1000)
    known = [item["started_at"] for item in oracle.calls(*files, limit=1000)["items"] if item["started_at"]]
    if known:
        moment = known[pick % len(known)]
        for bounds in ({"since": moment}, {"until": moment}, {"since": moment, "until": moment}):
            assert asyncio.run(_answer(files, **bounds)) == oracle.calls(*files, limit=1000, **bounds)


async def _answer(files: Files, **query: Any) -> dict[str, Any]:
    return answer(await read(files, limit=1000, **query))
