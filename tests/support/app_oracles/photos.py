"""What the Photos view must answer, read independently of the reader: plain sqlite3 on a temporary copy of
Photos.sqlite and its -wal (SQLite applies the WAL), `SELECT *`, and everything else in Python."""

from datetime import datetime
from typing import Any

from tests.support.app_oracles.common import newest_first
from tests.support.app_oracles.sqlite_copy import read_tables
from tests.support.app_oracles.values import core_data_time, finite, text, true


def photos(
    main: bytes,
    wal: bytes | None = None,
    *,
    kind: str | None = None,
    favorite: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """{"items": [asdict(Photo), ...], "total": matches}."""
    tables = read_tables(main, wal, "ZASSET", "ZGENERICASSET")
    items = []
    for row in tables.get("ZASSET", tables.get("ZGENERICASSET", [])):
        if row["zkind"] not in (0, 1) or true(row.get("ztrashedstate")):
            continue
        item_kind = "video" if row["zkind"] == 1 else "photo"
        filename = text(row["zfilename"]) or ""
        directory = text(row.get("zdirectory"))
        latitude, longitude = finite(row.get("zlatitude")), finite(row.get("zlongitude"))
        items.append(
            {
                "id": row["z_pk"],
                "entry": {"domain": "CameraRollDomain", "relative_path": f"Media/{directory}/{filename}"}
                if directory and filename
                else None,
                "filename": filename,
                "kind": item_kind,
                "taken_at": core_data_time(row.get("zdatecreated")),
                "width": row.get("zwidth") if isinstance(row.get("zwidth"), int) else None,
                "height": row.get("zheight") if isinstance(row.get("zheight"), int) else None,
                "duration_seconds": finite(row.get("zduration")) if item_kind == "video" else None,
                "favorite": true(row.get("zfavorite")),
                "hidden": true(row.get("zhidden")),
                "latitude": None if latitude == -180 else latitude,
                "longitude": None if longitude == -180 else longitude,
                "file_id": None,
            }
        )
    items = [
        item
        for item in items
        if (kind is None or item["kind"] == kind)
        and (favorite is None or item["favorite"] == favorite)
        and (since is None or (item["taken_at"] is not None and item["taken_at"] >= since))
        and (until is None or (item["taken_at"] is not None and item["taken_at"] <= until))
    ]
    return newest_first(items, "taken_at", limit=limit, offset=offset)
