"""How the oracles take SQLite's values: text decoded with replacement characters, numbers, times."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def text(value: Any) -> str | None:
    """Whatever a text column holds, as text (a BLOB's bytes decoded, replacing what is not UTF-8)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def core_data_time(value: Any) -> datetime | None:
    """Seconds since 2001; None for what is no number or no time a calendar holds."""
    if type(value) not in (int, float):
        return None
    try:
        return EPOCH + timedelta(seconds=value)
    except (OverflowError, ValueError):
        return None


def finite(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def true(value: object) -> bool:
    """A boolean column: a non-zero number is true."""
    return isinstance(value, int | float) and value != 0
