"""The calls view: `ZCALLRECORD` of CallHistory.storedata, newest first."""

import sqlite3
from collections.abc import Sequence

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.paging import HEAD, SqlOrdered, ordered_page
from ios_backup_api.adapters.apps.sql_times import key_bounds, seconds_key
from ios_backup_api.adapters.apps.sql_values import flag, folded, marks, number, text, text_sql
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import from_apple_seconds
from ios_backup_api.domain.views.pages import ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Call

_TABLE = "ZCALLRECORD"
_NEEDED = ("Z_PK", "ZDATE", "ZORIGINATED", "ZANSWERED", "ZDURATION")
_OPTIONAL = ("ZADDRESS", "ZNAME", "ZSERVICE_PROVIDER")
_KEY = seconds_key("ZDATE")


class SqliteCallsReader:
    """Calls as the Phone app's Recents list has them.

    `direction` is `outgoing` when `ZORIGINATED` is set. `answered` is `ZANSWERED` (the phone's user picked
    up), or, for an outgoing call, that it lasted (the phone never sets `ZANSWERED` on a call it placed,
    so a connected outgoing call would otherwise read as unanswered). `address` is `ZADDRESS`, decoded from
    the UTF-8 bytes older releases store; `duration_seconds` is 0 when the duration is unknown. Newest
    `started_at` first (the order of `paging`: ties by id, calls without a time last).
    """

    _head = HEAD
    """See `paging.ordered_page`. Not an `__init__` argument: the composition root builds this reader from
    its constructor's signature (`provide(SqliteCallsReader)`), which must need nothing."""

    @classmethod
    def with_head(cls, head: int) -> "SqliteCallsReader":
        reader = cls()
        reader._head = head
        return reader

    async def calls(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Call]:
        filters = ("calls", query.since, query.until)
        return await ordered_page(
            database, query, filters, lambda db, connection: _Calls(db, connection, query), self._head
        )


class _Calls(SqlOrdered):
    def __init__(self, db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery) -> None:
        columns = db.columns(connection, _TABLE)
        source = db.source.relative_path
        if not columns:
            raise ViewUnreadableError(f"{source} has no {_TABLE} table, where calls are kept.")
        missing = [name for name in _NEEDED if name not in columns]
        if missing:
            raise ViewUnreadableError(
                f"{source} lacks {_TABLE}.{', '.join(missing)}, which the calls view needs."
            )
        self.optional = [name if name in columns else "NULL" for name in _OPTIONAL]
        super().__init__(
            connection, _TABLE, _KEY, *key_bounds(_KEY, query.since, query.until), stored="ZDATE"
        )

    def folded_texts(self) -> dict[int, tuple[str, ...]]:
        """The address and the name: what `q` looks in."""
        address, name = (text_sql(column) for column in self.optional[:2])
        found = self.connection.execute(f"SELECT Z_PK, {address}, {name} FROM {_TABLE}")  # noqa: S608
        return {pk: folded(text(address), text(name)) for pk, address, name in found}

    def rows(self, ids: Sequence[int]) -> list[Call]:
        return _calls(self.connection, self.optional, ids)


def _calls(connection: sqlite3.Connection, optional: list[str], ids: Sequence[int]) -> list[Call]:
    if not ids:
        return []
    selected = ", ".join(text_sql(column) for column in optional)
    rows = connection.execute(
        f"SELECT Z_PK, ZDATE, ZORIGINATED, ZANSWERED, ZDURATION, {selected} FROM {_TABLE} "  # noqa: S608
        f"WHERE Z_PK IN ({marks(len(ids))})",
        ids,
    )
    found = {row[0]: _call(row) for row in rows}
    return [found[key] for key in ids if key in found]


def _call(row: tuple[object, ...]) -> Call:
    key, date, originated, answered, duration, address, name, service = row
    assert isinstance(key, int)
    outgoing = flag(originated)
    seconds = number(duration)
    lasted = float(seconds) if seconds is not None and abs(seconds) != float("inf") else 0.0
    return Call(
        id=key,
        address=text(address),
        name=text(name),
        direction="outgoing" if outgoing else "incoming",
        answered=flag(answered) or (outgoing and lasted > 0),
        duration_seconds=lasted,
        started_at=from_apple_seconds(number(date)),
        service=text(service),
    )
