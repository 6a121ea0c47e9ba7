"""Apple times in SQL as whole microseconds since 2001, the times the records show, so that SQL orders and
bounds rows exactly as the records show them (an expression per row: no Python call, no full sort)."""

from datetime import datetime, timedelta

from ios_backup_api.domain.views.apple_time import APPLE_EPOCH, SECONDS_HELD

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


def key_bounds(key: str, since: datetime | None, until: datetime | None) -> tuple[list[str], list[object]]:
    """SQL conditions (and their parameters) keeping the rows whose `key` (a key above) is within
    `since`..`until` inclusive; a row without a time is within no bound."""
    conditions: list[str] = []
    parameters: list[object] = []
    for bound, operator in ((since, ">="), (until, "<=")):
        if bound is not None:
            conditions.append(f"{key} {operator} ?")
            parameters.append(to_key(bound))
    return conditions, parameters
