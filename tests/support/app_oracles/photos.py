"""What the Photos view must answer, read independently of the reader: plain sqlite3 on a temporary copy of
Photos.sqlite and its -wal (SQLite applies the WAL), `SELECT *`, and everything else in Python."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.app_oracles.sqlite_copy import read_tables

_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def _time(value: object) -> datetime | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return _EPOCH + timedelta(seconds=value)
    except OverflowError:
        return None


def _text(value: object) -> str | None:
    """Whatever a text column holds, as text (a BLOB's bytes decoded, replacing what is not UTF-8)."""
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _true(value: object) -> bool:
    return isinstance(value, int | float) and value != 0


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
        if row["ZKIND"] not in (0, 1) or _true(row.get("ZTRASHEDSTATE")):
            continue
        item_kind = "video" if row["ZKIND"] == 1 else "photo"
        filename = _text(row["ZFILENAME"]) or ""
        directory = _text(row.get("ZDIRECTORY"))
        latitude, longitude = _number(row.get("ZLATITUDE")), _number(row.get("ZLONGITUDE"))
        items.append(
            {
                "id": row["Z_PK"],
                "entry": {"domain": "CameraRollDomain", "relative_path": f"Media/{directory}/{filename}"}
                if directory and filename
                else None,
                "filename": filename,
                "kind": item_kind,
                "taken_at": _time(row.get("ZDATECREATED")),
                "width": row.get("ZWIDTH") if isinstance(row.get("ZWIDTH"), int) else None,
                "height": row.get("ZHEIGHT") if isinstance(row.get("ZHEIGHT"), int) else None,
                "duration_seconds": _number(row.get("ZDURATION")) if item_kind == "video" else None,
                "favorite": _true(row.get("ZFAVORITE")),
                "hidden": _true(row.get("ZHIDDEN")),
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
    items.sort(key=lambda item: item["id"])
    items.sort(key=lambda item: item["taken_at"] or _EPOCH, reverse=True)  # stable: ties keep id order
    items.sort(key=lambda item: item["taken_at"] is None)
    return {"items": items[offset : offset + limit], "total": len(items)}
