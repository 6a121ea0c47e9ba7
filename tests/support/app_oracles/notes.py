"""What the Notes view must answer, read independently of the reader: plain sqlite3 on a temporary copy of
NoteStore.sqlite and its -wal (SQLite applies the WAL), `SELECT *` of each table, joins, sorting and paging in
Python, and the note bodies decoded by gzip and Google's protobuf."""

import gzip
import zlib
from typing import Any

from tests.support.app_oracles.common import newest_first
from tests.support.app_oracles.sqlite_copy import read_tables
from tests.support.app_oracles.values import core_data_time, text, true
from tests.support.notestore_proto import note_text


def bodytext(data: object) -> str | None:
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
    entity = next(row["z_ent"] for row in tables["Z_PRIMARYKEY"] if text(row["z_name"]) == "ICNote")
    objects = {row["z_pk"]: row for row in tables["ZICCLOUDSYNCINGOBJECT"]}
    bodies = {row["z_pk"]: row for row in tables.get("ZICNOTEDATA", [])}
    items = []
    for row in objects.values():
        if row["z_ent"] != entity or true(row.get("zmarkedfordeletion")):
            continue
        folder = objects.get(row.get("zfolder"))
        created = next(
            (row[name] for name in ("zcreationdate3", "zcreationdate1") if row.get(name) is not None), None
        )
        locked = true(row.get("zispasswordprotected"))
        body = bodies.get(row.get("znotedata"))
        items.append(
            {
                "id": row["z_pk"],
                "title": text(row.get("ztitle1")),
                "snippet": text(row.get("zsnippet")),
                "folder": None if folder is None else text(folder.get("ztitle2")),
                "created_at": core_data_time(created),
                "modified_at": core_data_time(row.get("zmodificationdate1")),
                "locked": locked,
                "text": None if locked or body is None else bodytext(body["zdata"]),
            }
        )
    if q is not None:
        needle = q.casefold()
        items = [
            item
            for item in items
            if needle in (item["title"] or "").casefold() or needle in (item["text"] or "").casefold()
        ]
    return newest_first(items, "modified_at", limit=limit, offset=offset)
