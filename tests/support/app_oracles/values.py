"""How the oracles take SQLite's values: text decoded with replacement characters, Core Data times."""

from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def text(value: Any) -> str | None:
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
