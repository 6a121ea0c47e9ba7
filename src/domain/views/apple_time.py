"""Apple's epoch (2001-01-01 UTC), in which apps store times as seconds or nanoseconds."""

from datetime import UTC, datetime, timedelta

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_NANOSECONDS_FROM = 10**11
"""A value this large is nanoseconds: as seconds it would be after the year 5000 (sms.db since iOS 11)."""
_FARTHEST = (datetime(9999, 12, 31, tzinfo=UTC) - APPLE_EPOCH).total_seconds()
_EARLIEST = (datetime(1, 1, 2, tzinfo=UTC) - APPLE_EPOCH).total_seconds()
"""The first day a `datetime` holds: a value before it would overflow rather than be None."""


def from_apple_seconds(value: float | int | None) -> datetime | None:
    """Seconds since 2001 (Core Data's timestamps), fractions kept; None for NULL or a time no calendar
    holds."""
    if value is None or not isinstance(value, int | float) or not _EARLIEST < value < _FARTHEST:
        return None
    return APPLE_EPOCH + timedelta(seconds=value)


def from_apple_time(value: float | int | None) -> datetime | None:
    """Seconds or nanoseconds since 2001, told apart by size (sms.db's `date` has been both)."""
    if isinstance(value, int) and abs(value) >= _NANOSECONDS_FROM:
        if not _EARLIEST < value / 1e9 < _FARTHEST:
            return None
        return APPLE_EPOCH + timedelta(microseconds=value // 1000)
    return from_apple_seconds(value)


SECONDS_HELD = (_EARLIEST, _FARTHEST)
"""The seconds since 2001 that `from_apple_seconds` makes a time of (bounds excluded): a reader that orders
or bounds by time in SQL treats the others as no time, as the conversion does."""


def to_apple_seconds(moment: datetime) -> float:
    return (moment - APPLE_EPOCH).total_seconds()
