"""SQL pieces the Messages and WhatsApp readers share: values as apps leave them (any type in any column) and
Apple times as whole microseconds since 2001, so SQL orders and bounds them as the records show them."""

from datetime import datetime, timedelta

from ios_backup_api.adapters.apps.sqlite_values import integer, text
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.views.apple_time import APPLE_EPOCH, SECONDS_HELD

__all__ = ["integer", "text"]  # the values as every app reader reads them (sqlite_values)
_MICROSECOND = timedelta(microseconds=1)
_EARLIEST, _FARTHEST = SECONDS_HELD
_NANOSECONDS_FROM = 10**11


def seconds_key(column: str) -> str:
    """Core Data seconds as microseconds, NULL where `from_apple_seconds` gives None; a REAL is rounded as
    `timedelta(seconds=...)` rounds it (whole seconds, then the fraction's microseconds, the rest half to
    even), so that SQL orders and bounds exactly the times the records show."""
    within = f"{column} > {_EARLIEST} AND {column} < {_FARTHEST}"
    whole = f"CAST({column} AS INTEGER)"
    micro = f"(({column} - {whole}) * 1000000.0)"
    base = f"({whole} * 1000000 + CAST({micro} AS INTEGER))"
    rest = f"({micro} - CAST({micro} AS INTEGER))"
    odd = f"abs({base} % 2)"
    rounded = (
        f"CASE WHEN abs(round({rest}) - {rest}) = 0.5 THEN 2 * round(({rest} + {odd}) * 0.5) - {odd} "
        f"ELSE round({rest}) END"
    )
    return (
        f"CASE WHEN typeof({column}) = 'integer' AND {within} THEN {column} * 1000000 "
        f"WHEN typeof({column}) = 'real' AND {within} THEN {base} + CAST({rounded} AS INTEGER) END"
    )


def apple_time_key(column: str) -> str:
    """sms.db's seconds-or-nanoseconds as microseconds, as `from_apple_time` tells them apart (whole
    nanoseconds floored to microseconds; every 64-bit nanosecond count is a time a calendar holds)."""
    big = f"({column} >= {_NANOSECONDS_FROM} OR {column} <= -{_NANOSECONDS_FROM})"
    floored = f"CASE WHEN {column} >= 0 THEN {column} / 1000 ELSE ({column} + 1) / 1000 - 1 END"
    return f"CASE WHEN typeof({column}) = 'integer' AND {big} THEN {floored} ELSE {seconds_key(column)} END"


def from_key(key: object) -> datetime | None:
    return APPLE_EPOCH + timedelta(microseconds=key) if isinstance(key, int) else None


def to_key(moment: datetime) -> int:
    return (moment - APPLE_EPOCH) // _MICROSECOND


def text_sql(column: str | None) -> str:
    """A text column read as bytes, so that text that is not UTF-8 can't fail the page (see `text`)."""
    return "NULL" if column is None else f"CAST({column} AS BLOB)"


def number_sql(column: str | None) -> str:
    return (
        "NULL" if column is None else f"CASE WHEN typeof({column}) IN ('integer', 'real') THEN {column} END"
    )


def flag_sql(column: str) -> str:
    """A boolean column: a non-zero number is true; NULL, text and blobs are false."""
    return f"(typeof({column}) IN ('integer', 'real') AND {column} != 0)"


def require(columns: frozenset[str], database: str, table: str, needed: tuple[str, ...]) -> None:
    """Raise `ViewUnreadableError` naming what `table` lacks (`columns` empty: no such table)."""
    if not columns:
        raise ViewUnreadableError(f"{database} has no {table} table.")
    missing = [name for name in needed if name.upper() not in columns]
    if missing:
        raise ViewUnreadableError(f"{database}'s {table} table has no {', '.join(missing)} column.")


def column(columns: frozenset[str], table: str, name: str) -> str | None:
    """`table.name` when the table has that column, else None (the field it fills is null)."""
    return f"{table}.{name}" if name.upper() in columns else None


def marks(count: int) -> str:
    return ", ".join("?" * count)
