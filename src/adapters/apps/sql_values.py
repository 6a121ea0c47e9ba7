"""Values as apps leave them in SQLite (any type in any column), read into the records' types, and the SQL
pieces that select them safely.

Text columns are selected as `CAST(column AS BLOB)` (`text_sql`) and decoded by `text`, so that text that is
not UTF-8 (a damaged row, a BLOB where text belongs) reads with U+FFFD where its bytes were invalid instead of
an exception that would take the whole page down."""

import math

from ios_backup_api.domain.errors import ViewUnreadableError


def text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def integer(value: object) -> int | None:
    return value if isinstance(value, int) else None


def number(value: object) -> int | float | None:
    """An INTEGER or REAL as stored; None for NULL, text or a BLOB."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def finite(value: object) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def flag(value: object) -> bool:
    """Core Data's booleans: a non-zero number is true; NULL and anything else is false."""
    return isinstance(value, int | float) and value != 0


def text_sql(column: str | None) -> str:
    """A text column selected as bytes, so that text that is not UTF-8 can't fail the page (see `text`)."""
    return "NULL" if column is None or column == "NULL" else f"CAST({column} AS BLOB)"


def number_sql(column: str | None) -> str:
    return (
        "NULL" if column is None else f"CASE WHEN typeof({column}) IN ('integer', 'real') THEN {column} END"
    )


def flag_sql(column: str) -> str:
    """`flag` in SQL: a non-zero number is true; NULL, text and blobs are false."""
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


def folded(*fields: str | None) -> tuple[str, ...]:
    """The fields `q` looks in, case-folded (`ß` matches `SS`), those without text left out."""
    return tuple(field.casefold() for field in fields if field is not None)
