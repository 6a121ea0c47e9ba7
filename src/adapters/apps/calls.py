"""The calls view: `ZCALLRECORD` of CallHistory.storedata, newest first."""

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.adapters.apps.row_values import folded_match, number, sql_text, text
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import from_apple_seconds
from ios_backup_api.domain.views.pages import ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Call

_TABLE = "ZCALLRECORD"
_NEEDED = ("Z_PK", "ZDATE", "ZORIGINATED", "ZANSWERED", "ZDURATION")
_OPTIONAL = ("ZADDRESS", "ZNAME", "ZSERVICE_PROVIDER")


@dataclass(frozen=True, slots=True)
class _Listed:
    id: int
    started_at: datetime | None
    address: str | None
    name: str | None


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
    listed = db.kept(("calls", "listed"), lambda: _listed(connection, optional))
    ids = db.kept(("calls", query.since, query.until, query.q), lambda: _matching(listed, query))
    chosen = ids[query.offset : query.offset + query.limit]
    return ViewPage(_calls(connection, optional, chosen), len(ids), query.limit, query.offset)


def _listed(connection: sqlite3.Connection, optional: list[str]) -> list[_Listed]:
    address, name = (sql_text(column) for column in optional[:2])
    rows = [
        _Listed(key, from_apple_seconds(number(date)), text(address_value), text(name_value))
        for key, date, address_value, name_value in connection.execute(
            f"SELECT Z_PK, ZDATE, {address}, {name} FROM {_TABLE}"  # noqa: S608 - column names of ours
        )
    ]
    dated = sorted(
        (row for row in rows if row.started_at is not None), key=lambda row: (row.started_at, row.id)
    )
    undated = sorted((row for row in rows if row.started_at is None), key=lambda row: row.id)
    return dated[::-1] + undated[::-1]


def _matching(listed: list[_Listed], query: ViewQuery) -> list[int]:
    since, until = query.since, query.until
    kept = []
    for row in listed:
        if since is not None and (row.started_at is None or row.started_at < since):
            continue
        if until is not None and (row.started_at is None or row.started_at > until):
            continue
        if query.q is not None and not folded_match(query.q, (row.address, row.name)):
            continue
        kept.append(row.id)
    return kept


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
