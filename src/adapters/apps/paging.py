"""Pages of the SQLite views: a small view computed whole and kept, or a time-ordered one paged by ids.

A time-ordered view's pages within the first `head` matches come from a top-`head` query and a count (one
scan each, no full sort: what a first page costs); later pages from the filter's whole ordered ids, found
once per database and kept, so that they cost a slice. `q` filters the whole ids by case-folded text."""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, Protocol, TypeVar

from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.pages import ViewPage, ViewQuery

T = TypeVar("T")
R = TypeVar("R", covariant=True)


class TimeOrdered(Protocol[R]):
    """One filter of a time-ordered view, over one connection (used inside `read`)."""

    def ordered(self, limit: int) -> array[int]:
        """The matching ids in the view's order, the first `limit` of them (-1: all)."""
        ...

    def count(self) -> int: ...

    def folded_texts(self) -> dict[int, str]:
        """Every row's case-folded text by id (rows without text left out), for `q`."""
        ...

    def rows(self, ids: Sequence[int]) -> Sequence[R]:
        """The records of `ids`, in that order."""
        ...


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
    head: int,
    filters: tuple[Hashable, ...],
    source: Callable[[SqliteAppDatabase, sqlite3.Connection], TimeOrdered[T]],
) -> ViewPage[T]:
    """`filters` names the filter (its first item the view), `source` reads it."""
    db = sqlite_database(database)

    def read(connection: sqlite3.Connection) -> ViewPage[T]:
        view = source(db, connection)
        if not query.q and query.offset + query.limit <= head:
            ids = db.kept((*filters, "head"), lambda: view.ordered(head))
            total = db.kept((*filters, "count"), view.count)
        else:
            ids = db.kept(filters, lambda: view.ordered(-1))
            if query.q:
                needle, every = query.q.casefold(), ids
                texts = db.kept((filters[0], "texts"), view.folded_texts)
                ids = db.kept(
                    (*filters, needle), lambda: array("q", (i for i in every if needle in texts.get(i, "")))
                )
            total = len(ids)
        return _page(view.rows(ids[query.offset : query.offset + query.limit]), total, query)

    return await db.read(read)


C = TypeVar("C")
M = TypeVar("M")


class ChatsAndMessages(Generic[C, M]):
    """A messaging app's two views: its chats (computed whole, kept) and its time-ordered messages.

    `head`: see `ordered_page` (pages within the first `head` matches need no full sort)."""

    def __init__(
        self,
        view: str,
        chats: Callable[[SqliteAppDatabase, sqlite3.Connection], list[C]],
        messages: Callable[[SqliteAppDatabase, sqlite3.Connection, ViewQuery], TimeOrdered[M]],
        head: int,
    ) -> None:
        self._view, self._chats, self._messages, self._head = view, chats, messages, head

    async def chats(self, database: AppDatabase, query: ViewQuery) -> ViewPage[C]:
        return await whole_page(database, (self._view, "chats"), self._chats, query)

    async def messages(self, database: AppDatabase, query: ViewQuery) -> ViewPage[M]:
        filters = (self._view, query.chat_id, query.since, query.until)
        return await ordered_page(
            database, query, self._head, filters, lambda db, connection: self._messages(db, connection, query)
        )
