"""The calls view: `ZCALLRECORD` of CallHistory.storedata, newest first."""

import sqlite3

from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.adapters.apps.row_values import (
    FOLDED_MATCH,
    number,
    register_folded_match,
    sql_text,
    text,
)
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import SECONDS_HELD, from_apple_seconds, to_apple_seconds
from ios_backup_api.domain.views.pages import ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Call

_TABLE = "ZCALLRECORD"
_NEEDED = ("Z_PK", "ZDATE", "ZORIGINATED", "ZANSWERED", "ZDURATION")
_OPTIONAL = ("ZADDRESS", "ZNAME", "ZSERVICE_PROVIDER")


_LOW, _HIGH = SECONDS_HELD
_TIME = (
    f"CASE WHEN typeof(ZDATE) IN ('integer', 'real') AND ZDATE > {_LOW!r} AND ZDATE < {_HIGH!r} "
    "THEN ZDATE END"
)
"""A call's seconds since 2001 when `started_at` has a time of them, else NULL."""
_MARGIN = 1e-3
"""Seconds around a bound that SQLite's float comparison leaves to the exact datetime comparison: far more
than a double's error at any time a datetime holds (1.5e-5 s in the year 9999)."""
_CLOSE = 2e-6
"""Times closer than this may be the same microsecond (1.5 us and 2.5 us both round to 2 us)."""


class SqliteCallsReader:
    """Calls as the Phone app's Recents list has them.

    `direction` is `outgoing` when `ZORIGINATED` is set. `answered` is `ZANSWERED` (the phone's user picked
    up), or, for an outgoing call, that it lasted (the phone never sets `ZANSWERED` on a call it placed,
    so a connected outgoing call would otherwise read as unanswered). `address` is `ZADDRESS`, decoded from
    the UTF-8 bytes older releases store; `duration_seconds` is 0 when the duration is unknown. Newest
    `started_at` first, ties by the newest id, calls without a time last.
    """

    async def calls(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Call]:
        db = sqlite_database(database)
        return await db.read(lambda connection: _page(db, connection, query))


def _page(db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery) -> ViewPage[Call]:
    columns = db.columns(connection, _TABLE)
    if not columns:
        raise ViewUnreadableError(f"{db.source.relative_path} has no {_TABLE} table, where calls are kept.")
    missing = [name for name in _NEEDED if name not in columns]
    if missing:
        raise ViewUnreadableError(
            f"{db.source.relative_path} lacks {_TABLE}.{', '.join(missing)}, which the calls view needs."
        )
    optional = [name if name in columns else "NULL" for name in _OPTIONAL]
    ids = db.kept(
        ("calls", query.since, query.until, query.q), lambda: _matching(connection, optional, query)
    )
    chosen = ids[query.offset : query.offset + query.limit]
    return ViewPage(_calls(connection, optional, chosen), len(ids), query.limit, query.offset)


def _matching(connection: sqlite3.Connection, optional: list[str], query: ViewQuery) -> list[int]:
    """The ids of the matching calls, newest first, ties by the newest id. SQLite orders and filters by the
    stored seconds; Python settles what floats can't: a bound at the microsecond `started_at` has, and
    calls whose different seconds make the same microsecond (a tie, so the newest id first)."""
    conditions: list[str] = []
    parameters: list[float | str] = []
    if query.since is not None:
        conditions.append(f"{_TIME} >= ?")
        parameters.append(to_apple_seconds(query.since) - _MARGIN)
    if query.until is not None:
        conditions.append(f"{_TIME} <= ?")
        parameters.append(to_apple_seconds(query.until) + _MARGIN)
    if query.q is not None:
        register_folded_match(connection)
        conditions.append(f"{FOLDED_MATCH}(?, {', '.join(sql_text(column) for column in optional[:2])})")
        parameters.append(query.q)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows: list[tuple[int, float | None]] = connection.execute(
        f"SELECT Z_PK, {_TIME} AS t FROM {_TABLE} {where} ORDER BY t IS NULL, t DESC, Z_PK DESC",  # noqa: S608
        parameters,
    ).fetchall()
    if query.since is not None or query.until is not None:
        rows = [row for row in rows if _within(row[1], query)]
    return _ties_settled(rows)


def _within(seconds: float | None, query: ViewQuery) -> bool:
    """`started_at` is within the bounds; the datetime is made only for a time near one."""
    if seconds is None:
        return False
    since, until = query.since, query.until
    near_since = since is not None and seconds < to_apple_seconds(since) + _MARGIN
    near_until = until is not None and seconds > to_apple_seconds(until) - _MARGIN
    if not near_since and not near_until:
        return True
    moment = from_apple_seconds(seconds)
    assert moment is not None  # the SQL kept times that have one
    return (since is None or moment >= since) and (until is None or moment <= until)


def _ties_settled(rows: list[tuple[int, float | None]]) -> list[int]:
    ids = [key for key, _ in rows]
    start = 0
    for index in range(1, len(rows) + 1):
        previous = rows[index - 1][1]
        current = rows[index][1] if index < len(rows) else None
        if current is not None and previous is not None and previous - current < _CLOSE:
            continue
        if index - start > 1 and previous is not None:
            run = sorted(
                rows[start:index], key=lambda row: (from_apple_seconds(row[1]), row[0]), reverse=True
            )
            ids[start:index] = [key for key, _ in run]
        start = index
    return ids


def _calls(connection: sqlite3.Connection, optional: list[str], ids: list[int]) -> list[Call]:
    if not ids:
        return []
    selected = ", ".join(sql_text(column) for column in optional)
    marks = ", ".join("?" * len(ids))
    rows = connection.execute(
        f"SELECT Z_PK, ZDATE, ZORIGINATED, ZANSWERED, ZDURATION, {selected} FROM {_TABLE} "  # noqa: S608
        f"WHERE Z_PK IN ({marks})",
        ids,
    )
    found = {row[0]: _call(row) for row in rows}
    return [found[key] for key in ids if key in found]


def _call(row: tuple[object, ...]) -> Call:
    key, date, originated, answered, duration, address, name, service = row
    assert isinstance(key, int)
    outgoing = _set(originated)
    seconds = number(duration)
    lasted = float(seconds) if seconds is not None and abs(seconds) != float("inf") else 0.0
    return Call(
        id=key,
        address=text(address),
        name=text(name),
        direction="outgoing" if outgoing else "incoming",
        answered=_set(answered) or (outgoing and lasted > 0),
        duration_seconds=lasted,
        started_at=from_apple_seconds(number(date)),
        service=text(service),
    )


def _set(flag: object) -> bool:
    value = number(flag)
    return value is not None and value != 0
