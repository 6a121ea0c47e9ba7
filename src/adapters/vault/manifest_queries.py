"""The SQL that reads a Manifest.db's Files table, whichever way it is held (see manifest_db), and the bounds
that keep any answer within what a phone's manifest could cost.

A `Dialect` tells where the order index is (an index of the table itself, or a table of its own beside a
database that is never written) and whether texts are read as they are (the standard library's sqlite3,
which decodes them leniently) or as bytes decoded here (apsw, which would raise on text that is not UTF-8).
"""

import sqlite3
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol

import apsw

from ios_backup_api.adapters.vault.entries import FilesRow, listed_entry
from ios_backup_api.adapters.vault.kinds import KIND_OF_FLAGS
from ios_backup_api.adapters.vault.matches import Filter
from ios_backup_api.adapters.vault.mbfile import MAX_RECORD_BYTES
from ios_backup_api.domain.errors import CorruptBackupError, InvalidQueryError
from ios_backup_api.domain.manifest import FilePage, FileQuery, ManifestEntry

DATABASE_ERRORS = (sqlite3.Error, apsw.Error)

# What no phone's manifest holds, so that an answer never costs more than a real one could. A domain is a
# prefix and a bundle id (Apple caps those at 155 characters); a relative path is under iOS's PATH_MAX of
# 1,024 bytes; a record is under 2 KB (see mbfile). A full page of real rows holds about 1 MB.
MAX_DOMAIN_BYTES = 1024
MAX_PATH_BYTES = 4096
MAX_PAGE_BYTES = 8 << 20
"""The names and records of one page's rows (text counted in characters): 8 KiB a row on a page of 1,000."""
MAX_DOMAINS = 65536
MAX_DOMAIN_LIST_BYTES = 4 << 20
"""A phone with hundreds of apps has a few thousand domains, of a few dozen bytes each."""

_SMALL_IDS = 2**31

# Rows with non-text keys or with names longer than any phone's are not entries: they are neither listed nor
# counted (nor indexed: the index leaves them out). Rows of any flags are.
LISTED = (
    "typeof(fileID) = 'text' AND typeof(domain) = 'text' AND typeof(relativePath) = 'text'"
    f" AND length(CAST(domain AS BLOB)) <= {MAX_DOMAIN_BYTES}"
    f" AND length(CAST(relativePath AS BLOB)) <= {MAX_PATH_BYTES}"
)
KNOWN_FLAGS = ", ".join(str(flags) for flags in KIND_OF_FLAGS)
OTHER_FLAGS = f"(flags IS NULL OR flags NOT IN ({KNOWN_FLAGS}))"
ORDER = "domain COLLATE BINARY, relativePath COLLATE BINARY, fileID COLLATE BINARY"
# A record too large to be read is not even fetched (the length of a blob costs SQLite nothing to tell).
# What a row weighs against MAX_PAGE_BYTES, told by SQLite (its text in characters, its blobs in bytes), so
# that a page's rows are not measured one value at a time in Python. A record too large to be fetched weighs
# nothing (and is not fetched: the length of a blob costs SQLite nothing to tell).


def weighed(value: str, record: bool = False) -> str:
    """The weight of a column's `value` (a record's: nothing when too large to be fetched)."""
    also = f" AND length({value}) <= {MAX_RECORD_BYTES}" if record else ""
    return f"CASE WHEN typeof({value}) IN ('text', 'blob'){also} THEN length({value}) ELSE 0 END"


def names_weight(of: str = "", flags: bool = True) -> str:
    """What a Files row's names and (with `flags`) its flags weigh (of the table named `of`, as `e.`; or
    unnamed)."""
    columns = ("fileID", "domain", "relativePath", *(("flags",) if flags else ()))
    return " + ".join(weighed(f"{of}{column}") for column in columns)


_WEIGHT = f"{names_weight()} + {weighed('file', record=True)}"


def record_of(value: str, blobs: bool) -> str:
    """The record column `value`, NULL when too large to be fetched; with `blobs`, NULL for text too (which
    is no record either way: apsw would raise on text that is not UTF-8)."""
    text = f"WHEN typeof({value}) = 'text' THEN NULL " if blobs else ""
    return f"CASE {text}WHEN length({value}) <= {MAX_RECORD_BYTES} THEN {value} END"


def flags_of(value: str, blobs: bool) -> str:
    """The flags column `value`; with `blobs`, NULL for text (no flags either way, to SQLite's `flags = ?` as
    to `kind_of`: apsw would raise on text that is not UTF-8)."""
    return f"CASE WHEN typeof({value}) = 'text' THEN NULL ELSE {value} END" if blobs else value


class Connection(Protocol):
    """What is used of a connection, the standard library's or apsw's."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...

    def close(self) -> None: ...

    def interrupt(self) -> None: ...


class Completing(NamedTuple):
    """What the work done after a manifest's preparation takes: its writing connection, the lock that
    guards it, whether the manifest is closing, and a wait for a moment when no query runs."""

    connection: Connection
    lock: threading.Lock
    closing: Callable[[], bool]
    quiet: Callable[[], None]


class Dialect(NamedTuple):
    source: str
    """The FROM of a filter's matches: what holds the order (domain, relativePath, fileID, flags)."""
    id: str
    """The column of that table that is the row id of Files."""
    blobs: bool
    """Texts are read as bytes and decoded here, with U+FFFD for what is not UTF-8."""
    order: str = ORDER
    """The ORDER BY of matches in the order."""

    def text(self, column: str) -> str:
        return f"CAST({column} AS BLOB)" if self.blobs else column

    def decoded(self, value: object) -> Any:
        return value.decode("utf-8", "replace") if self.blobs and isinstance(value, bytes) else value

    @property
    def columns(self) -> str:
        """The columns of a FilesRow."""
        return ", ".join(
            (
                self.text("fileID"),
                self.text("domain"),
                self.text("relativePath"),
                flags_of("flags", self.blobs),
                record_of("file", self.blobs),
            )
        )

    def row(self, values: tuple[Any, ...]) -> FilesRow:
        file_id, domain, relative_path, flags, file = values
        return FilesRow(self.decoded(file_id), self.decoded(domain), self.decoded(relative_path), flags, file)

    def entry(self, values: tuple[Any, ...]) -> ManifestEntry:
        file_id, domain, relative_path, flags, file = values
        if self.blobs:
            file_id, domain, relative_path = (
                self.decoded(file_id), self.decoded(domain), self.decoded(relative_path)
            )  # fmt: skip
        return listed_entry(file_id, domain, relative_path, flags, file)


def check_files_table(connection: Connection) -> None:
    """A Files table as backups have it: a plain table of plain columns, and nothing in the database that
    runs SQL of the file's own (a generated column, a virtual table's module, a trigger or a view could cost
    any amount of memory or time to read, from a tiny file)."""
    entry = connection.execute(
        "SELECT type, CAST(sql AS BLOB) FROM sqlite_master WHERE name = 'Files'"
    ).fetchone()
    if entry is None or entry[0] != "table":
        raise CorruptBackupError("Manifest.db has no Files table.")
    if bytes(entry[1] or b"").lstrip().upper().startswith(b"CREATE VIRTUAL"):
        raise CorruptBackupError("Manifest.db's Files table is a virtual table, which no backup has.")
    if any(column[-1] for column in connection.execute("SELECT hidden FROM pragma_table_xinfo('Files')")):
        raise CorruptBackupError("Manifest.db's Files table has generated columns, which no backup has.")
    (code,) = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', 'view')"
    ).fetchone()
    if code:
        raise CorruptBackupError("Manifest.db holds triggers or views, which no backup has.")
    connection.execute("SELECT fileID, domain, relativePath, flags, file FROM Files LIMIT 0")


def id_type(connection: Connection) -> str:
    """Row ids are kept as 4-byte ints when they all fit (reading the last one also checks that the
    table's pages are there, from the root to the last leaf)."""
    (largest,) = connection.execute("SELECT max(rowid) FROM Files").fetchone()
    return "i" if largest is None or -_SMALL_IDS <= largest < _SMALL_IDS else "q"


def where(key: Filter) -> tuple[str, list[object]]:
    domain, path_like, flags, parent, under = key
    conditions, parameters = [LISTED], list[object]()
    if under is not None:
        conditions.append("substr(relativePath, 1, ?) = ?")
        parameters.extend([len(under) + 1, f"{under}/"])
    if parent == "":
        conditions.append("relativePath <> '' AND instr(relativePath, '/') = 0")
    elif parent is not None:
        # the prefix compared exactly (LIKE would fold case and read `_` and `%` in a folder's name)
        conditions.append("substr(relativePath, 1, ?) = ? AND instr(substr(relativePath, ?), '/') = 0")
        conditions.append("length(relativePath) > ?")
        parameters.extend([len(parent) + 1, f"{parent}/", len(parent) + 2, len(parent) + 1])
    if domain is not None:
        conditions.append("domain = ?")
        parameters.append(domain)
    if path_like is not None:
        conditions.append("relativePath LIKE ?")
        parameters.append(path_like)
    if flags is not None:
        conditions.append("flags = ?")
        parameters.append(flags)
    # Only constant SQL fragments are joined; every value is a bound parameter.
    return " AND ".join(conditions), parameters


def matches(
    connection: Connection, dialect: Dialect, key: Filter, ids: str, within: tuple[int, int] | None = None
) -> "array[int]":
    """The row ids matching `key`, in the order, from the order index (kept as `array(ids)`); only those
    in [`within`) when given."""
    condition, parameters = where(key)
    if within is not None:
        condition += f" AND {dialect.id} >= ? AND {dialect.id} < ?"
        parameters.extend(within)
    sql = f"SELECT {dialect.id} FROM {dialect.source} WHERE {condition} ORDER BY {dialect.order}"  # noqa: S608
    # Row by row from the cursor: a list of 300,000 tuples would leave the heap fragmented behind it.
    try:
        return array(ids, (rowid for (rowid,) in connection.execute(sql, parameters)))
    except DATABASE_ERRORS as error:
        raise translated(error) from error


def rows_by_id(connection: Connection, dialect: Dialect, ids: Sequence[int]) -> list[ManifestEntry]:
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    sql = f"SELECT rowid, {dialect.columns}, {_WEIGHT} FROM Files WHERE rowid IN ({marks})"  # noqa: S608
    by_id = {row[0]: row for row in page_rows(connection, sql, list(ids))}
    return [dialect.entry(by_id[rowid][1:6]) for rowid in ids]


def scanned_page(connection: Connection, dialect: Dialect, key: Filter, query: FileQuery) -> FilePage:
    """Without the order index (it could not be built): a count and a sorted page, both by table scans."""
    condition, parameters = where(key)
    count_sql = f"SELECT count(*) FROM Files WHERE {condition}"  # noqa: S608
    page_sql = (
        f"SELECT {dialect.columns}, {_WEIGHT} FROM Files WHERE {condition}"  # noqa: S608
        f" ORDER BY {ORDER} LIMIT ? OFFSET ?"
    )
    total = int(run(connection, count_sql, parameters)[0][0])
    rows = page_rows(connection, page_sql, [*parameters, query.limit, query.offset])
    return FilePage([dialect.entry(row[:5]) for row in rows], total, query.limit, query.offset)


def row(connection: Connection, dialect: Dialect, file_id: str) -> FilesRow | None:
    sql = f"SELECT {dialect.columns} FROM Files WHERE fileID = ? AND {LISTED} LIMIT 1"  # noqa: S608
    rows = run(connection, sql, [file_id])
    return dialect.row(rows[0]) if rows else None


def located(
    connection: Connection, dialect: Dialect, indexed: bool, entries: list[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    source = dialect.source if indexed else "Files"
    sql = (
        f"SELECT {dialect.text('fileID')} FROM {source}"  # noqa: S608
        f" WHERE domain = ? AND relativePath = ? AND {LISTED} LIMIT 1"
    )
    found = {}
    for pair in entries:
        rows = run(connection, sql, list(pair))
        if rows:
            found[pair] = dialect.decoded(rows[0][0])
    return found


def domains(connection: Connection, dialect: Dialect, indexed: bool) -> list[str] | None:
    """Distinct domains by code point; None for a list too long to be real: it is not built past its bound."""
    source = dialect.source if indexed else "Files"
    sql = (
        f"SELECT DISTINCT {dialect.text('domain')} FROM {source}"  # noqa: S608
        f" WHERE {LISTED} ORDER BY domain COLLATE BINARY"
    )
    found, size = list[str](), 0
    for (value,) in connection.execute(sql):
        domain = dialect.decoded(value)
        size += len(domain)
        if len(found) == MAX_DOMAINS or size > MAX_DOMAIN_LIST_BYTES:
            return None
        found.append(domain)
    return found


def page_rows(connection: Connection, sql: str, parameters: list[object]) -> list[Any]:
    """The rows of one page (their weight last, see `_WEIGHT`), refused (`CorruptBackupError`) as soon as
    their names and records pass `MAX_PAGE_BYTES`: a page too large to be real is never built."""
    rows, size = [], 0
    try:
        for found in connection.execute(sql, parameters):
            size += found[-1]
            if size > MAX_PAGE_BYTES:
                raise CorruptBackupError(
                    f"Manifest.db's rows for this page hold over {MAX_PAGE_BYTES >> 20} MiB, more than a"
                    " phone's could; ask for fewer entries (limit)."
                )
            rows.append(found)
    except DATABASE_ERRORS as error:
        raise translated(error) from error
    return rows


def write_all(connection: Connection, sql: str, rows: Iterable[Sequence[object]]) -> None:
    """`sql` run for each of `rows`, in one transaction."""
    connection.execute("BEGIN")
    connection.executemany(sql, rows)
    connection.execute("COMMIT")


def run(connection: Connection, sql: str, parameters: list[object]) -> list[Any]:
    try:
        return list(connection.execute(sql, parameters).fetchall())
    except DATABASE_ERRORS as error:
        raise translated(error) from error


def translated(error: Exception) -> InvalidQueryError | CorruptBackupError:
    if "pattern too complex" in str(error):
        return InvalidQueryError("path_like is too long.")
    return CorruptBackupError(f"Manifest.db is damaged ({error}).")
