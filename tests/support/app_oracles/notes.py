"""What the Notes view must answer, read independently of the reader: plain sqlite3 on a temporary copy of
NoteStore.sqlite and its -wal (SQLite applies the WAL), `SELECT *` of each table, joins, sorting and paging in
Python, and the note bodies decoded by gzip and Google's protobuf."""

import gzip
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.app_oracles.sqlite_copy import read_tables
from tests.support.notestore_proto import note_text

_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def _time(value: object) -> datetime | None:
    if not isinstance(value, int | float):
        return None
    try:
        return _EPOCH + timedelta(seconds=value)
    except OverflowError:
        return None


def _true(value: object) -> bool:
    return isinstance(value, int | float) and value != 0


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def body_text(data: object) -> str | None:
    if not isinstance(data, bytes):
        return None
    try:
        return note_text(gzip.decompress(data))
    except (OSError, EOFError, zlib.error):
        try:
            return note_text(zlib.decompress(data))
        except zlib.error:
            return None


def notes(
    main: bytes, wal: bytes | None = None, *, q: str | None = None, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """{"items": [asdict(Note), ...], "total": matches}."""
    tables = read_tables(main, wal, "ZICCLOUDSYNCINGOBJECT", "Z_PRIMARYKEY", "ZICNOTEDATA")
    entity = next(row["Z_ENT"] for row in tables["Z_PRIMARYKEY"] if row["Z_NAME"] == "ICNote")
    objects = {row["Z_PK"]: row for row in tables["ZICCLOUDSYNCINGOBJECT"]}
    bodies = {row["Z_PK"]: row for row in tables.get("ZICNOTEDATA", [])}
    items = []
    for row in objects.values():
        if row["Z_ENT"] != entity or _true(row.get("ZMARKEDFORDELETION")):
            continue
        folder = objects.get(row.get("ZFOLDER"))
        created = next(
            (row[name] for name in ("ZCREATIONDATE3", "ZCREATIONDATE1") if row.get(name) is not None), None
        )
        locked = _true(row.get("ZISPASSWORDPROTECTED"))
        body = bodies.get(row.get("ZNOTEDATA"))
        items.append(
            {
                "id": row["Z_PK"],
                "title": _text(row.get("ZTITLE1")),
                "snippet": _text(row.get("ZSNIPPET")),
                "folder": None if folder is None else _text(folder.get("ZTITLE2")),
                "created_at": _time(created),
                "modified_at": _time(row.get("ZMODIFICATIONDATE1")),
                "locked": locked,
                "text": None if locked or body is None else body_text(body["ZDATA"]),
            }
        )
    if q is not None:
        needle = q.casefold()
        items = [
            item
            for item in items
            if needle in (item["title"] or "").casefold() or needle in (item["text"] or "").casefold()
        ]
    items.sort(key=lambda item: item["id"])
    items.sort(key=lambda item: item["modified_at"] or _EPOCH, reverse=True)
    items.sort(key=lambda item: item["modified_at"] is None)
    return {"items": items[offset : offset + limit], "total": len(items)}
