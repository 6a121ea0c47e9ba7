"""What the SQLite app readers share: values read as apps leave them (any type in any column), and Core Data's
times as SQL can order and bound them exactly as the records show them."""

import math
import sqlite3
from datetime import datetime, timedelta

from ios_backup_api.domain.views.apple_time import APPLE_EPOCH, from_apple_seconds

APPLE_MICROSECONDS = "ios_backup_apple_microseconds"
"""An SQL function: a Core Data time as whole microseconds since 2001, NULL for what `from_apple_seconds`
gives None, so ordering and `since`/`until` in SQL agree with the times the records carry."""
_MICROSECOND = timedelta(microseconds=1)


def apple_microseconds(value: object) -> int | None:
    moment = from_apple_seconds(value) if isinstance(value, int | float) else None
    return None if moment is None else (moment - APPLE_EPOCH) // _MICROSECOND


def microseconds_since_2001(moment: datetime) -> int:
    return (moment - APPLE_EPOCH) // _MICROSECOND


def register_functions(connection: sqlite3.Connection) -> None:
    """Idempotent: registering again replaces the function by the same one."""
    connection.create_function(APPLE_MICROSECONDS, 1, apple_microseconds, deterministic=True)


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
