"""What the calls view must answer, read independently of the reader: every row of ZCALLRECORD and the
view's rules (API.md, the reader's docstring) done in Python."""

from datetime import datetime
from typing import Any

from tests.support.app_oracles.common import newest_first
from tests.support.app_oracles.sqlite_copy import read_tables
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
    items = [_call(row) for row in read_tables(main, wal, "ZCALLRECORD").get("ZCALLRECORD", [])]
    if since is not None:
        items = [item for item in items if item["started_at"] is not None and item["started_at"] >= since]
    if until is not None:
        items = [item for item in items if item["started_at"] is not None and item["started_at"] <= until]
    if q is not None:
        items = [item for item in items if _matches(item, q)]
    return newest_first(items, "started_at", limit=limit, offset=offset)


def _call(row: dict[str, Any]) -> dict[str, Any]:
    outgoing = _number(row["zoriginated"]) not in (None, 0)
    duration = _number(row["zduration"])
    seconds = float(duration) if duration is not None and abs(duration) != float("inf") else 0.0
    return {
        "id": row["z_pk"],
        "address": text(row.get("zaddress")),
        "name": text(row.get("zname")),
        "direction": "outgoing" if outgoing else "incoming",
        "answered": _number(row["zanswered"]) not in (None, 0) or (outgoing and seconds > 0),
        "duration_seconds": seconds,
        "started_at": core_data_time(row["zdate"]),
        "service": text(row.get("zservice_provider")),
    }


def _matches(item: dict[str, Any], q: str) -> bool:
    return any(
        field is not None and q.casefold() in field.casefold() for field in (item["address"], item["name"])
    )


def _number(value: Any) -> Any:
    return value if type(value) in (int, float) else None
