"""The SQL the readers order and bound times by against the domain's conversion (the times the records
show): for any number SQLite can hold, the SQL key is the record's time in microseconds, or NULL when the
record's time is None."""

import sqlite3

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps import sql_times as sql
from ios_backup_api.domain.views.apple_time import APPLE_EPOCH, from_apple_seconds, from_apple_time

_CONNECTION = sqlite3.connect(":memory:")
_NUMBERS = (
    st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.floats(-1e12, 1e12)
    | st.integers(-(10**12), 10**12)
    | st.builds(lambda whole, half: whole + half * 5e-7, st.integers(-(10**10), 10**10), st.integers(-3, 3))
)


def key(expression: str, value: object) -> object:
    return _CONNECTION.execute(f"SELECT {expression}", (value,)).fetchone()[0]


@settings(max_examples=2000, deadline=None)
@given(_NUMBERS)
@example(700000000.0000005)  # half a microsecond after the float products: timedelta rounds it to even
@example(0.0000005)
@example(-0.0000025)
@example(2.5e-6)
def test_the_seconds_key_is_the_record_time(value: float) -> None:
    moment = from_apple_seconds(value)
    expected = None if moment is None else sql.to_key(moment)
    assert key(sql.seconds_key("?1"), value) == expected
    if moment is not None:
        assert sql.from_key(expected) == moment


@settings(max_examples=2000, deadline=None)
@given(_NUMBERS)
def test_the_seconds_or_nanoseconds_key_is_the_record_time(value: float) -> None:
    moment = from_apple_time(value)
    assert key(sql.apple_time_key("?1"), value) == (None if moment is None else sql.to_key(moment))


def test_text_and_blobs_have_no_key() -> None:
    for value in ("700000000", b"\x00", None):
        assert key(sql.apple_time_key("?1"), value) is None
    assert sql.from_key(0) == APPLE_EPOCH
