"""What the calls view must answer, read independently of the reader: every row of ZCALLRECORD and the
view's rules (API.md, the reader's docstring) done in Python."""

from datetime import datetime
from typing import Any

from tests.support.app_oracles.sqlite_rows import read_rows
from tests.support.app_oracles.values import core_data_time, text


def calls(
    main: bytes,
    wal: bytes | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """{"items": [asdict(Call)...], "total": matches}."""
    items = [_call(row) for row in read_rows(main, wal, "ZCALLRECORD") or []]
    if since is not None:
        items = [item for item in items if item["started_at"] is not None and item["started_at"] >= since]
    if until is not None:
        items = [item for item in items if item["started_at"] is not None and item["started_at"] <= until]
    if q is not None:
        items = [item for item in items if _matches(item, q)]
    with_time = [item for item in items if item["started_at"] is not None]
    without = [item for item in items if item["started_at"] is None]
    with_time.sort(key=lambda item: item["id"])
    with_time.sort(key=lambda item: item["started_at"], reverse=True)  # stable: ties by the lower id
    without.sort(key=lambda item: item["id"])
    ordered = with_time + without
    return {"items": ordered[offset : offset + limit], "total": len(ordered)}


def _call(row: dict[str, Any]) -> dict[str, Any]:
    outgoing = _number(row["ZORIGINATED"]) not in (None, 0)
    duration = _number(row["ZDURATION"])
    seconds = float(duration) if duration is not None and abs(duration) != float("inf") else 0.0
    return {
        "id": row["Z_PK"],
        "address": text(row.get("ZADDRESS")),
        "name": text(row.get("ZNAME")),
        "direction": "outgoing" if outgoing else "incoming",
        "answered": _number(row["ZANSWERED"]) not in (None, 0) or (outgoing and seconds > 0),
        "duration_seconds": seconds,
        "started_at": core_data_time(row["ZDATE"]),
        "service": text(row.get("ZSERVICE_PROVIDER")),
    }


def _matches(item: dict[str, Any], q: str) -> bool:
    return any(
        field is not None and q.casefold() in field.casefold() for field in (item["address"], item["name"])
    )


def _number(value: Any) -> Any:
    return value if type(value) in (int, float) else None
