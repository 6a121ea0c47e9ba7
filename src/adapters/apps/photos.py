"""The Photos view: assets of `Media/PhotoData/Photos.sqlite` (`ZASSET`; before iOS 14 `ZGENERICASSET`)."""

import sqlite3
from collections.abc import Sequence

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.paging import HEAD, SqlOrdered, ordered_page
from ios_backup_api.adapters.apps.sql_times import key_bounds, seconds_key
from ios_backup_api.adapters.apps.sql_values import finite, flag, flag_sql, integer, marks, text
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

    Paged by `paging.ordered_page` (pages within the first `head` matches need no full sort)."""

    def __init__(self, head: int = HEAD) -> None:
        self._head = head

    async def photos(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Photo]:
        filters = ("photos", query.kind, query.favorite, query.since, query.until)
        return await ordered_page(
            database, query, filters, lambda db, connection: _Photos(db, connection, query), self._head
        )


class _Photos(SqlOrdered):
    """The assets one query matches, in the view's order."""

    def __init__(self, db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery) -> None:
        table = next((name for name in _TABLES if db.columns(connection, name)), None)
        if table is None:
            raise ViewUnreadableError("Photos.sqlite has no ZASSET (or, before iOS 14, ZGENERICASSET) table.")
        columns = db.columns(connection, table)
        missing = [name for name in _REQUIRED if name not in columns]
        if missing:
            raise ViewUnreadableError(f"Photos.sqlite's {table} table has no {', '.join(missing)} column.")
        self.table, self.columns = table, columns
        stored = "ZDATECREATED" if "ZDATECREATED" in columns else "NULL"
        key = seconds_key(stored)
        where, arguments = key_bounds(key, query.since, query.until)
        where.append("ZKIND IN (0, 1)")
        if "ZTRASHEDSTATE" in columns:
            where.append(f"NOT {flag_sql('ZTRASHEDSTATE')}")
        if query.kind is not None:
            where.append("ZKIND = ?")
            arguments.append(1 if query.kind == "video" else 0)
        if query.favorite is not None:
            favorite = flag_sql("ZFAVORITE") if "ZFAVORITE" in columns else "0"
            where.append(favorite if query.favorite else f"NOT {favorite}")
        super().__init__(connection, table, key, where, arguments, stored=stored)

    def folded_texts(self) -> dict[int, tuple[str, ...]]:
        return {}  # the view has no `q`

    def rows(self, ids: Sequence[int]) -> list[Photo]:
        return _rows(self.connection, self.table, self.columns, ids)


def _rows(
    connection: sqlite3.Connection, table: str, columns: frozenset[str], ids: Sequence[int]
) -> list[Photo]:
    names = _REQUIRED + _OPTIONAL
    selected = ", ".join(_column(name, columns) for name in names)
    found: dict[int, Photo] = {}
    for start in range(0, len(ids), _PAGE_ROWS):
        chunk = ids[start : start + _PAGE_ROWS]
        sql = f"SELECT {selected} FROM {table} WHERE Z_PK IN ({marks(len(chunk))})"  # noqa: S608 - names are ours
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
