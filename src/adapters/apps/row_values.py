"""Values as SQLite hands them to the app readers, made into the records' types.

Text columns are read as `CAST(column AS BLOB)` and decoded here, so that text that is not UTF-8 (a
damaged row, a BLOB where text belongs) becomes text with U+FFFD where its bytes were invalid instead of an
exception that would take the whole page down.
"""

import sqlite3
from collections.abc import Iterable

FOLDED_MATCH = "folded_match"
"""`folded_match(q, field, ...)` in SQL: 1 when `q` is in one of the fields by case folding."""


def sql_text(column: str) -> str:
    """The select expression of a text column (`NULL` stays `NULL`)."""
    return "NULL" if column == "NULL" else f"CAST({column} AS BLOB)"


def text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def number(value: object) -> int | float | None:
    """An INTEGER or REAL as stored; None for NULL, text or a BLOB."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def folded_match(q: str, fields: Iterable[str | None]) -> bool:
    """`q` is in one of `fields`, compared by Unicode case folding (`ß` matches `SS`)."""
    needle = q.casefold()
    return any(field is not None and needle in field.casefold() for field in fields)


def register_folded_match(connection: sqlite3.Connection) -> None:
    """Makes `FOLDED_MATCH` callable in SQL on `connection` (again: a later call replaces it, harmlessly)."""
    connection.create_function(FOLDED_MATCH, -1, _sql_folded_match, deterministic=True)


def _sql_folded_match(q: object, *fields: object) -> int:
    return int(isinstance(q, str) and folded_match(q, (text(field) for field in fields)))
