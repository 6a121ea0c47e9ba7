"""The Photos view: assets of `Media/PhotoData/Photos.sqlite` (`ZASSET`; before iOS 14 `ZGENERICASSET`)."""

import sqlite3

from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.adapters.apps.sqlite_values import (
    FLAG_SQL,
    NEWEST_FIRST,
    finite,
    flag,
    integer,
    near_times,
    newest_first,
    register_functions,
    text,
    time_bounds,
    time_sql,
)
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import from_apple_seconds
from ios_backup_api.domain.views.pages import EntryRef, ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Photo

DOMAIN = "CameraRollDomain"
NO_LOCATION = -180.0
"""Photos' latitude and longitude when an asset has no location."""
_TABLES = ("ZASSET", "ZGENERICASSET")
_REQUIRED = ("Z_PK", "ZFILENAME", "ZKIND")
_OPTIONAL = (
    "ZDIRECTORY", "ZDATECREATED", "ZWIDTH", "ZHEIGHT", "ZDURATION",
    "ZFAVORITE", "ZHIDDEN", "ZTRASHEDSTATE", "ZLATITUDE", "ZLONGITUDE",
)  # fmt: skip
_TEXT = frozenset({"ZDIRECTORY", "ZFILENAME"})
_KINDS = {0: "photo", 1: "video"}
_PAGE_ROWS = 500
"""Ids per `IN (...)` when a page's rows are fetched (SQLite's bound on variables is far above)."""


class SqlitePhotosReader:
    """Newest `taken_at` first (assets without a time last), ties by id; trashed assets and assets of a kind
    other than photo (0) or video (1) are left out. A photo's `duration_seconds` is None (Photos stores 0).

    A filter's first pages, up to `prefix_rows` assets in, are read as a prefix of the order (an index scan
    with a limit, and a count); a page beyond sorts every match once and keeps the order for later pages."""

    def __init__(self, prefix_rows: int = 1000) -> None:
        self._prefix_rows = prefix_rows

    async def photos(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Photo]:
        db = sqlite_database(database)
        return await db.read(lambda connection: self._page(db, connection, query))

    def _page(
        self, db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery
    ) -> ViewPage[Photo]:
        table = next((name for name in _TABLES if db.columns(connection, name)), None)
        if table is None:
            raise ViewUnreadableError("Photos.sqlite has no ZASSET (or, before iOS 14, ZGENERICASSET) table.")
        columns = db.columns(connection, table)
        missing = [name for name in _REQUIRED if name not in columns]
        if missing:
            raise ViewUnreadableError(f"Photos.sqlite's {table} table has no {', '.join(missing)} column.")
        register_functions(connection)
        matches = _Matches(connection, table, columns, query)
        kept: _Kept = db.kept(("photos", table, query.kind, query.favorite, query.since, query.until), _Kept)
        end = query.offset + query.limit
        if kept.ids is None and end <= self._prefix_rows:
            if kept.total is None:
                kept.total = matches.count()
            ids, total = matches.prefix(end), kept.total
        else:
            if kept.ids is None:
                kept.ids = matches.all()
            ids, total = kept.ids, len(kept.ids)
        chosen = ids[query.offset : end]
        return ViewPage(_rows(connection, table, columns, chosen), total, query.limit, query.offset)


class _Kept:
    """What is known of one filter's matches: their count, and once a page needed it, their whole order."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.ids: list[int] | None = None


class _Matches:
    """The assets one query matches, in the view's order."""

    def __init__(
        self, connection: sqlite3.Connection, table: str, columns: frozenset[str], query: ViewQuery
    ) -> None:
        self._connection = connection
        self._table = table
        where = ["ZKIND IN (0, 1)"]
        arguments: list[object] = []
        if "ZTRASHEDSTATE" in columns:
            where.append(f"NOT {FLAG_SQL.format('ZTRASHEDSTATE')}")
        if query.kind is not None:
            where.append("ZKIND = ?")
            arguments.append(1 if query.kind == "video" else 0)
        if query.favorite is not None:
            favorite = FLAG_SQL.format("ZFAVORITE") if "ZFAVORITE" in columns else "0"
            where.append(favorite if query.favorite else f"NOT {favorite}")
        self._stored = "ZDATECREATED" if "ZDATECREATED" in columns else "NULL"
        self._taken = time_sql(self._stored)
        bounds, bound_arguments = time_bounds(self._taken, query.since, query.until)
        self._where = " AND ".join(where + bounds)
        self._arguments = arguments + bound_arguments

    def count(self) -> int:
        sql = f"SELECT count(*) FROM {self._table} WHERE {self._where}"  # noqa: S608 - names are ours
        (total,) = self._connection.execute(sql, self._arguments).fetchone()
        return int(total)

    def all(self) -> list[int]:
        sql = f"SELECT Z_PK, {self._stored} FROM {self._table} WHERE {self._where} "  # noqa: S608
        return newest_first(
            self._connection.execute(sql + NEWEST_FIRST.format(self._stored), self._arguments).fetchall()
        )

    def prefix(self, count: int) -> list[int]:
        """The first `count` ids of `all()`, reading little more than them: the assets with a time in stored
        order, extended past `count` while the next is near the last (their order is settled together)."""
        sql = (
            f"SELECT Z_PK, {self._stored} FROM {self._table} "  # noqa: S608 - names are this module's
            f"WHERE {self._where} AND {self._taken} IS NOT NULL " + NEWEST_FIRST.format(self._stored)
        )
        cursor = self._connection.execute(sql, self._arguments)
        try:
            rows: list[tuple[int, object]] = cursor.fetchmany(count)
            if len(rows) == count:
                for following in cursor:
                    rows.append(following)
                    if not near_times(rows[-2][1], following[1]):
                        break
        finally:
            cursor.close()
        ids = newest_first(rows)[:count]
        if len(ids) < count:
            sql = (
                f"SELECT Z_PK FROM {self._table} WHERE {self._where} "  # noqa: S608 - names are ours
                f"AND {self._taken} IS NULL ORDER BY Z_PK LIMIT ?"
            )
            ids += [pk for (pk,) in self._connection.execute(sql, [*self._arguments, count - len(ids)])]
        return ids


def _rows(connection: sqlite3.Connection, table: str, columns: frozenset[str], ids: list[int]) -> list[Photo]:
    names = _REQUIRED + _OPTIONAL
    selected = ", ".join(_column(name, columns) for name in names)
    found: dict[int, Photo] = {}
    for start in range(0, len(ids), _PAGE_ROWS):
        chunk = ids[start : start + _PAGE_ROWS]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {selected} FROM {table} WHERE Z_PK IN ({marks})"  # noqa: S608 - names are ours
        for row in connection.execute(sql, chunk):
            photo = _photo(dict(zip(names, row, strict=True)))
            found[photo.id] = photo
    return [found[pk] for pk in ids]


def _column(name: str, columns: frozenset[str]) -> str:
    if name not in columns:
        return "NULL"
    return f"CAST({name} AS BLOB)" if name in _TEXT else name


def _photo(row: dict[str, object]) -> Photo:
    filename = text(row["ZFILENAME"]) or ""
    directory = text(row["ZDIRECTORY"])
    kind = _KINDS[int(row["ZKIND"])]  # type: ignore[call-overload]  # the query kept 0 and 1 only
    entry = EntryRef(DOMAIN, f"Media/{directory}/{filename}") if directory and filename else None
    return Photo(
        id=int(row["Z_PK"]),  # type: ignore[call-overload]
        entry=entry,
        filename=filename,
        kind=kind,
        taken_at=from_apple_seconds(row["ZDATECREATED"])
        if isinstance(row["ZDATECREATED"], int | float)
        else None,
        width=integer(row["ZWIDTH"]),
        height=integer(row["ZHEIGHT"]),
        duration_seconds=finite(row["ZDURATION"]) if kind == "video" else None,
        favorite=flag(row["ZFAVORITE"]),
        hidden=flag(row["ZHIDDEN"]),
        latitude=_location(row["ZLATITUDE"]),
        longitude=_location(row["ZLONGITUDE"]),
    )


def _location(value: object) -> float | None:
    degrees = finite(value)
    return None if degrees == NO_LOCATION else degrees
