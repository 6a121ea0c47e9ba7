"""Apple's epoch: any number a database holds gives a time or None, never an exception."""

from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from ios_backup_api.domain.views.apple_time import APPLE_EPOCH, from_apple_seconds, from_apple_time

_ANY_NUMBER = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-(10**12), max_value=10**12),  # around the first and last years as seconds
    st.integers(min_value=-(10**21), max_value=10**21),  # and as nanoseconds
    st.floats(),
    st.floats(min_value=-1e12, max_value=1e12),
)


@given(_ANY_NUMBER)
@example(-100_000_000_000)
@example(-1e11)
def test_any_number_of_seconds_is_a_time_or_none(value: float) -> None:
    moment = from_apple_seconds(value)
    assert moment is None or moment.tzinfo is UTC


@given(_ANY_NUMBER)
@example(-(10**20))
def test_any_number_of_seconds_or_nanoseconds_is_a_time_or_none(value: float) -> None:
    moment = from_apple_time(value)
    assert moment is None or moment.tzinfo is UTC


def test_times_before_the_first_year_are_none_and_those_after_it_are_kept() -> None:
    assert from_apple_seconds(-64_000_000_000) is None
    assert from_apple_time(-(10**20)) is None
    assert from_apple_seconds(-63_000_000_000) == datetime(4, 8, 11, 8, tzinfo=UTC)
    assert from_apple_seconds(0.25) == APPLE_EPOCH.replace(microsecond=250_000)
