"""Pages of the SQLite views: a small view computed whole and kept, or a time-ordered one paged by ids.

A time-ordered view's pages within the first `HEAD` matches come from a top-`HEAD` query (`ORDER BY ...
LIMIT`: one scan keeping the best rows, no full sort) and a count: what a first page costs. Later pages
come from the filter's whole ordered ids, found once per database and kept, so that they cost a slice. `q`
finds the rows holding it by their case-folded texts (kept per database), then orders those alone.

The order of every newest-first view (`order_by`): the newest time first, ties by id ascending, rows without
a time last, by id ascending. Oldest-first views (messages) order by time, then id, rows without a time last
too, by id ascending."""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, Protocol, TypeVar

from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import SECONDS_HELD
from ios_backup_api.domain.views.pages import ViewPage, ViewQuery

T = TypeVar("T")
R = TypeVar("R", covariant=True)
HEAD = 1000
"""Pages ending within this many matches are read by a top-N query, without the filter's whole order."""
_NEAR = 1e-3
"""Seconds: stored times this far apart are different microseconds, whatever the rounding and a double's
error (below 1e-4 s at any time a datetime holds)."""


def order_by(key: str, id_column: str, newest_first: bool) -> str:
    """The views' one order rule, for a time `key` (NULL for a row without a time; see `sql_times`).
    SQLite sorts NULL lowest, so `DESC` puts rows without a time last, and the id breaks ties ascending;
    oldest first, rows without a time are put last by `IS NULL` (0 before 1)."""
    if newest_first:
        return f"ORDER BY {key} DESC, {id_column}"
    return f"ORDER BY {key} IS NULL, {key}, {id_column}"


class TimeOrdered(Protocol[R]):
    """One filter of a time-ordered view, over one connection (used inside `read`)."""

    def ordered(self, limit: int) -> array[int]:
        """The matching ids in the view's order, the first `limit` of them (-1: all)."""
        ...

    def count(self) -> int: ...

    def ordered_among(self, ids: Sequence[int]) -> array[int]:
        """The matching ids among `ids`, in the view's order."""
        ...

    def folded_texts(self) -> dict[int, tuple[str, ...]]:
        """Every row's case-folded texts by id (rows without text left out): `q` is in one of them."""
        ...

    def rows(self, ids: Sequence[int]) -> Sequence[R]:
        """The records of `ids`, in that order."""
        ...


class SqlOrdered:
    """`ordered` and `count` of the rows of `table` matching `where` (SQL conditions over `parameters`), in
    `order_by`'s order of `key`. The SQL is this package's constant pieces and checked column names.

    `stored`, for a newest-first view: the seconds column `key` is the `seconds_key` of. The key orders as
    the stored seconds do (rounding to the microsecond keeps their order), so a top-N reads the stored order
    (which an index on the column serves) to the N-th dated row, and computes the key only for the rows
    from there up: no row below that one by more than `_NEAR` can be among the first N."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        table: str,
        key: str,
        where: Sequence[str],
        parameters: Sequence[object],
        *,
        id_column: str = "Z_PK",
        newest_first: bool = True,
        stored: str | None = None,
    ) -> None:
        self.connection = connection
        self._from = f"FROM {table} WHERE {' AND '.join(where) or '1'}"
        self._count = f"SELECT count(*) {self._from}" if where else f"SELECT count(*) FROM {table}"  # noqa: S608
        self._order = order_by(key, id_column, newest_first)
        self._id, self._parameters = id_column, list(parameters)
        self._stored = stored if newest_first else None

    def ordered(self, limit: int) -> array[int]:
        if self._stored is None or limit <= 0:
            return self._ids(f"{self._order} LIMIT ?", [limit])
        stored, held = self._stored, list[object](SECONDS_HELD)
        dated = (
            f"{stored} > ? AND {stored} < ?"  # a time as `seconds_key` tells one (text sorts above numbers)
        )
        nth = self.connection.execute(
            f"SELECT {stored} {self._from} AND {dated} ORDER BY {stored} DESC LIMIT 1 OFFSET ?",
            [*self._parameters, *held, limit - 1],
        ).fetchone()
        if nth is not None:
            near = [*held, nth[0] - _NEAR, limit]
            return self._ids(f"AND {dated} AND {stored} >= ? {self._order} LIMIT ?", near)
        ids = self._ids(f"AND {dated} {self._order}", held)  # fewer than `limit`: the undated follow
        undated = f"AND NOT coalesce({dated}, 0) ORDER BY {self._id} LIMIT ?"
        return ids + self._ids(undated, [*held, limit - len(ids)])

    def ordered_among(self, ids: Sequence[int]) -> array[int]:
        among = f"AND {self._id} IN (SELECT value FROM json_each(?)) {self._order}"  # noqa: S608
        return self._ids(among, [json.dumps(list(ids))])

    def _ids(self, rest: str, parameters: list[object]) -> array[int]:
        sql = f"SELECT {self._id} {self._from} {rest}"
        return array("q", (pk for (pk,) in self.connection.execute(sql, [*self._parameters, *parameters])))

    def count(self) -> int:
        # Without a WHERE, SQLite counts the rows of the smallest index page by page, reading none of them.
        (count,) = self.connection.execute(self._count, self._parameters).fetchone()
        return int(count)


def _page(items: Sequence[T], total: int, query: ViewQuery) -> ViewPage[T]:
    return ViewPage(list(items), total, query.limit, query.offset)


async def whole_page(
    database: AppDatabase,
    key: Hashable,
    compute: Callable[[SqliteAppDatabase, sqlite3.Connection], list[T]],
    query: ViewQuery,
) -> ViewPage[T]:
    db = sqlite_database(database)
    rows = await db.read(lambda connection: db.kept(key, lambda: compute(db, connection)))
    return _page(rows[query.offset : query.offset + query.limit], len(rows), query)


async def ordered_page(
    database: AppDatabase,
    query: ViewQuery,
    filters: tuple[Hashable, ...],
    source: Callable[[SqliteAppDatabase, sqlite3.Connection], TimeOrdered[T]],
    head: int = HEAD,
) -> ViewPage[T]:
    """`filters` names the filter but for `q` (its first item the view), `source` reads it."""
    db = sqlite_database(database)

    def read(connection: sqlite3.Connection) -> ViewPage[T]:
        view = source(db, connection)
        if not query.q and query.offset + query.limit <= head:
            ids = db.kept((*filters, "head"), lambda: view.ordered(head))
            total = db.kept((*filters, "count"), view.count)
        elif query.q:
            needle = query.q.casefold()  # the rows holding it found once, then ordered alone
            texts = db.kept((filters[0], "texts"), view.folded_texts)
            holding = db.kept(
                (filters[0], "q", needle),
                lambda: [i for i, found in texts.items() if any(needle in text for text in found)],
            )
            ids = db.kept((*filters, "q", needle), lambda: view.ordered_among(holding))
            total = len(ids)
        else:
            ids = db.kept(filters, lambda: view.ordered(-1))
            total = len(ids)
        return _page(view.rows(ids[query.offset : query.offset + query.limit]), total, query)

    return await db.read(read)


M = TypeVar("M")


class MessagesInTimeOrder(Generic[M]):
    """A messaging app's time-ordered messages (its chats are each reader's own).

    `head`: see `ordered_page` (pages within the first `head` matches need no full sort)."""

    def __init__(
        self,
        view: str,
        messages: Callable[[SqliteAppDatabase, sqlite3.Connection, ViewQuery], TimeOrdered[M]],
        head: int,
    ) -> None:
        self._view, self._messages, self._head = view, messages, head

    async def messages(self, database: AppDatabase, query: ViewQuery) -> ViewPage[M]:
        filters = (self._view, query.chat_id, query.since, query.until)
        return await ordered_page(
            database, query, filters, lambda db, connection: self._messages(db, connection, query), self._head
        )


def newest_first(items: Sequence[T], time: Callable[[T], object | None], pk: Callable[[T], int]) -> list[T]:
    """`order_by`'s rule for records computed whole (a chat list): newest `time` first, ties by `pk`
    ascending, those without a time last by `pk` ascending."""
    by_id = sorted(items, key=pk)
    dated = [item for item in by_id if time(item) is not None]
    dated.sort(key=time, reverse=True)  # type: ignore[arg-type]  # stable: ties keep id order
    return dated + [item for item in by_id if time(item) is None]
