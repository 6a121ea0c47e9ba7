"""What the SQLite app readers share: values read as apps leave them (any type in any column), and Core Data's
times as SQL can order and bound them exactly as the records show them."""

import math
import sqlite3
from datetime import datetime, timedelta

from ios_backup_api.domain.views.apple_time import (
    APPLE_EPOCH,
    SECONDS_HELD,
    from_apple_seconds,
    to_apple_seconds,
)

_LOW, _HIGH = SECONDS_HELD

APPLE_MICROSECONDS = "ios_backup_apple_microseconds"
"""An SQL function: a Core Data time as whole microseconds since 2001, NULL where `from_apple_seconds` gives
None. Only called near a bound (see `time_bounds`): a Python call per row would cost the first page."""
_MICROSECOND = timedelta(microseconds=1)
_NEAR = 1e-3
"""Seconds: within this, two stored times may show as the same microsecond, or a time may fall either side of
a bound once rounded, so the exact rule decides; farther apart, comparing the stored values agrees with it (a
time rounds to its microsecond by half of one at most, and a double's error at 2**38 s is below 1e-4 s)."""


def apple_microseconds(value: object) -> int | None:
    moment = from_apple_seconds(value) if isinstance(value, int | float) else None
    return None if moment is None else (moment - APPLE_EPOCH) // _MICROSECOND


def microseconds_since_2001(moment: datetime) -> int:
    return (moment - APPLE_EPOCH) // _MICROSECOND


def register_functions(connection: sqlite3.Connection) -> None:
    """Idempotent: registering again replaces the function by the same one."""
    connection.create_function(APPLE_MICROSECONDS, 1, apple_microseconds, deterministic=True)


def time_sql(column: str) -> str:
    """`column` where it holds a time `from_apple_seconds` reads, else NULL: what to order and bound by."""
    return (
        f"(CASE WHEN typeof({column}) IN ('integer', 'real') AND {column} > {_LOW!r} "
        f"AND {column} < {_HIGH!r} THEN {column} END)"
    )


def time_bounds(time: str, since: datetime | None, until: datetime | None) -> tuple[list[str], list[object]]:
    """SQL conditions (and their arguments) keeping the rows whose `time` (a `time_sql`), as the records show
    it, is within `since`..`until` inclusive: the stored value decides unless it is near a bound."""
    conditions: list[str] = []
    arguments: list[object] = []
    if since is not None:
        seconds = to_apple_seconds(since)
        conditions.append(f"({time} >= ? OR ({time} >= ? AND {APPLE_MICROSECONDS}({time}) >= ?))")
        arguments += [seconds + _NEAR, seconds - _NEAR, microseconds_since_2001(since)]
    if until is not None:
        seconds = to_apple_seconds(until)
        conditions.append(f"({time} <= ? OR ({time} <= ? AND {APPLE_MICROSECONDS}({time}) <= ?))")
        arguments += [seconds - _NEAR, seconds + _NEAR, microseconds_since_2001(until)]
    return conditions, arguments


NEWEST_FIRST = "ORDER BY {0} DESC, Z_PK"
"""For `newest_first`, with the stored time's column for {0} (an index on it serves the order); select the
primary key and that column."""


def newest_first(rows: list[tuple[int, object]]) -> list[int]:
    """The ids of rows (id, stored time) sorted by `NEWEST_FIRST`, in the order of the times the records show:
    newest first, ties by id, rows without a time (NULL, not a number, beyond the calendar) last by id.

    Comparing stored values agrees with comparing the times they show except between values nearer than
    `_NEAR`: those runs (rare: photos a millisecond apart) are ordered by their microseconds."""
    timed = [(pk, value) for pk, value in rows if isinstance(value, int | float) and _is_time(value)]
    untimed = sorted(pk for pk, value in rows if not (isinstance(value, int | float) and _is_time(value)))
    times = [value for _, value in timed]
    near = [index for index in range(1, len(times)) if times[index - 1] - times[index] < _NEAR]
    ids = [pk for pk, _ in timed]
    for start, end in _runs(near):
        run = sorted(timed[start:end], key=lambda row: (-(apple_microseconds(row[1]) or 0), row[0]))
        ids[start:end] = [pk for pk, _ in run]
    return ids + untimed


def near_times(newer: object, older: object) -> bool:
    """Two stored times (in `NEWEST_FIRST` order) that `newest_first` orders by their microseconds."""
    return isinstance(newer, int | float) and isinstance(older, int | float) and newer - older < _NEAR


def _is_time(value: float) -> bool:
    return _LOW < value < _HIGH


def _runs(near: list[int]) -> list[tuple[int, int]]:
    """[start, end) of each run of rows joined by the `near` indexes (row i is near row i - 1)."""
    runs: list[tuple[int, int]] = []
    for index in near:
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index - 1, index + 1))
    return runs


def text(value: object) -> str | None:
    """A text column read as bytes (`CAST(column AS BLOB)`), so that text that is not UTF-8 reads with
    replacement characters instead of failing the whole page."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def integer(value: object) -> int | None:
    return value if isinstance(value, int) else None


def finite(value: object) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def flag(value: object) -> bool:
    """Core Data's booleans: a non-zero number is true; NULL and anything else is false."""
    return isinstance(value, int | float) and value != 0


FLAG_SQL = "(typeof({0}) IN ('integer', 'real') AND {0} != 0)"
"""`flag` in SQL, for a column name."""
