"""What the app oracles share: the paging, filters and orders of the views' contracts, done in Python."""

from datetime import UTC, datetime
from typing import Any

from tests.support.app_oracles.sqlite_copy import Row

_FIRST = datetime(1, 1, 2, tzinfo=UTC)


def by_time(rows: list[Row]) -> list[Row]:
    """By `sent_at`, then `id`; rows without a time last, by `id`."""
    return sorted(rows, key=lambda r: (r["sent_at"] is None, r["sent_at"] or _FIRST, r["id"]))


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


def newest_first(rows: list[Row], time: str, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """The page of `rows` by `time`, newest first, ties by `id` ascending, those without a time last by `id`
    (the rule of every newest-first view)."""
    dated = sorted((r for r in rows if r[time] is not None), key=lambda r: r["id"])
    dated.sort(key=lambda r: r[time], reverse=True)
    ordered = dated + sorted((r for r in rows if r[time] is None), key=lambda r: r["id"])
    return {"items": ordered[offset : offset + limit], "total": len(ordered)}
