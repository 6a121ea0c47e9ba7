"""The Photos view: assets of `Media/PhotoData/Photos.sqlite` (`ZASSET`; before iOS 14 `ZGENERICASSET`)."""

import sqlite3

from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.adapters.apps.sqlite_values import (
    APPLE_MICROSECONDS,
    FLAG_SQL,
    finite,
    flag,
    integer,
    microseconds_since_2001,
    register_functions,
    text,
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
    other than photo (0) or video (1) are left out. A photo's `duration_seconds` is None (Photos stores 0)."""

    async def photos(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Photo]:
        db = sqlite_database(database)
        return await db.read(lambda connection: _page(db, connection, query))


def _page(db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery) -> ViewPage[Photo]:
    table = next((name for name in _TABLES if db.columns(connection, name)), None)
    if table is None:
        raise ViewUnreadableError("Photos.sqlite has no ZASSET (or, before iOS 14, ZGENERICASSET) table.")
    columns = db.columns(connection, table)
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        raise ViewUnreadableError(f"Photos.sqlite's {table} table has no {', '.join(missing)} column.")
    register_functions(connection)
    key = ("photos", table, query.kind, query.favorite, query.since, query.until)
    ids: list[int] = db.kept(key, lambda: _matching_ids(connection, table, columns, query))
    chosen = ids[query.offset : query.offset + query.limit]
    return ViewPage(_rows(connection, table, columns, chosen), len(ids), query.limit, query.offset)


def _matching_ids(
    connection: sqlite3.Connection, table: str, columns: frozenset[str], query: ViewQuery
) -> list[int]:
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
    taken = f"{APPLE_MICROSECONDS}(ZDATECREATED)" if "ZDATECREATED" in columns else "NULL"
    for bound, operator in ((query.since, ">="), (query.until, "<=")):
        if bound is not None:
            where.append(f"{taken} {operator} ?")
            arguments.append(microseconds_since_2001(bound))
    sql = (
        f"SELECT Z_PK FROM {table} WHERE {' AND '.join(where)} "  # noqa: S608 - names are this module's
        f"ORDER BY {taken} IS NULL, {taken} DESC, Z_PK"
    )
    return [pk for (pk,) in connection.execute(sql, arguments)]


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
