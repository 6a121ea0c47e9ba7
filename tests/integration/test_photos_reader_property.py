"""The Photos reader against the oracle on asset tables hypothesis makes up: any value in any column, times
a microsecond apart or beyond the calendar, every filter and page, both ways to a page."""

import asyncio
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps.photos import SqlitePhotosReader
from ios_backup_api.domain.views.pages import SOURCES, ViewName, ViewQuery
from tests.support.app_databases import in_memory
from tests.support.app_oracles import photos as oracle

_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_flags = st.sampled_from([0, 1, 2, None, "1", 0.5])
_times = st.one_of(
    st.sampled_from([100.0, 100.0000004, 99.9999996, 100.0005, 7.0, 1e300, -1e300, 2.6e11, None, "today"]),
    st.floats(-1e9, 1e9, allow_nan=False),
    st.integers(-(2**40), 2**40),
    st.integers(0, 200).map(lambda tenths_of_microseconds: 100 + tenths_of_microseconds / 1e7),
)
_rows = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 2, None, 1.0]),  # ZKIND
        st.one_of(st.text(max_size=8), st.none(), st.binary(max_size=4)),  # ZFILENAME
        st.sampled_from(["DCIM/100APPLE", "", None]),  # ZDIRECTORY
        _times,
        st.one_of(st.integers(-5, 2**63 - 1), st.none(), st.just(1.5)),  # ZWIDTH
        st.one_of(st.floats(allow_nan=False), st.none()),  # ZDURATION
        _flags,  # ZFAVORITE
        _flags,  # ZHIDDEN
        _flags,  # ZTRASHEDSTATE
        st.one_of(st.just(-180.0), st.floats(-90, 90), st.none(), st.just("north")),  # ZLATITUDE
    ),
    max_size=12,
)
_bounds = st.one_of(
    st.none(),
    st.sampled_from([100.0, 99.9999996, 7.0, 0.0]).map(lambda seconds: _EPOCH + timedelta(seconds=seconds)),
    st.datetimes(datetime(1990, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
)


def _library(rows: list[tuple[Any, ...]]) -> bytes:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE TABLE ZASSET (Z_PK INTEGER PRIMARY KEY, ZKIND INTEGER, ZFILENAME VARCHAR, "
        "ZDIRECTORY VARCHAR, ZDATECREATED TIMESTAMP, ZWIDTH INTEGER, ZDURATION FLOAT, ZFAVORITE INTEGER, "
        "ZHIDDEN INTEGER, ZTRASHEDSTATE INTEGER, ZLATITUDE FLOAT, ZLONGITUDE FLOAT)"
    )
    for pk, row in enumerate(rows, start=1):
        connection.execute("INSERT INTO ZASSET VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, -180.0)", (pk, *row))
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=_rows,
    kind=st.sampled_from([None, "photo", "video"]),
    favorite=st.sampled_from([None, True, False]),
    since=_bounds,
    until=_bounds,
    limit=st.integers(1, 5),
    offset=st.integers(0, 12),
    head=st.sampled_from([0, 3, 1000]),
)
def test_the_reader_answers_what_the_oracle_reads(
    rows: list[tuple[Any, ...]],
    kind: str | None,
    favorite: bool | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
    head: int,
) -> None:
    if since is not None and until is not None and since > until:
        since, until = until, since
    main = _library(rows)
    filters: dict[str, Any] = {"kind": kind, "favorite": favorite, "since": since, "until": until}
    reader = SqlitePhotosReader(head=head)
    database = in_memory(SOURCES[ViewName.PHOTOS], main)
    for page_offset in (offset, 0):  # a later page first, then the first: each way to a page, either order
        page = asyncio.run(reader.photos(database, ViewQuery(limit=limit, offset=page_offset, **filters)))
        expected = oracle.photos(main, limit=limit, offset=page_offset, **filters)
        assert {"items": [asdict(item) for item in page.items], "total": page.total} == expected
