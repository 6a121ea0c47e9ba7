"""What the app oracles share: every table read whole by plain sqlite3 (SQLite applying the WAL), text as
the views decode it, and the paging, filters and orders of the views' contracts, done in Python."""

import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Row = dict[str, Any]
_FIRST = datetime(1, 1, 2, tzinfo=UTC)


def read_tables(main: bytes, wal: bytes | None) -> dict[str, list[Row]]:
    """Every table of the database, rows as {lower-case column: value}, text as bytes."""
    folder = Path(tempfile.mkdtemp(prefix="oracle-"))
    try:
        (folder / "app.sqlite").write_bytes(main)
        if wal is not None:
            (folder / "app.sqlite-wal").write_bytes(wal)
        connection = sqlite3.connect(folder / "app.sqlite")
        connection.text_factory = bytes
        try:
            names = [
                name.decode()
                for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            tables = {}
            for name in names:
                cursor = connection.execute(f'SELECT rowid AS "rowid", * FROM "{name}"')  # noqa: S608
                columns = [column[0].lower() for column in cursor.description]
                tables[name] = [dict(zip(columns, row, strict=True)) for row in cursor]
            return tables
        finally:
            connection.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def by_time(rows: list[Row]) -> list[Row]:
    """By `sent_at` (rows without a time first, as SQL sorts NULL), then `id`."""
    return sorted(rows, key=lambda r: (r["sent_at"] is not None, r["sent_at"] or _FIRST, r["id"]))


def filtered(
    rows: list[Row],
    *,
    chat_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """The page of the time-ordered `rows` matching the filters, inclusive bounds, `q` by case folding."""
    kept = []
    for row in rows:
        moment = row["sent_at"]
        if chat_id is not None and row["chat_id"] != chat_id:
            continue
        if (since is not None or until is not None) and moment is None:
            continue
        if (since is not None and moment < since) or (until is not None and moment > until):
            continue
        if q and (row["text"] is None or q.casefold() not in row["text"].casefold()):
            continue
        kept.append(row)
    return {"items": kept[offset : offset + limit], "total": len(kept)}


def newest_first(chats: list[Row], *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """By `last_message_at`, newest first, chats without one last, ties by `id`."""
    dated = sorted((c for c in chats if c["last_message_at"] is not None), key=lambda c: c["id"])
    dated.sort(key=lambda c: c["last_message_at"], reverse=True)
    ordered = dated + sorted((c for c in chats if c["last_message_at"] is None), key=lambda c: c["id"])
    return {"items": ordered[offset : offset + limit], "total": len(ordered)}
