"""Queries of a Manifest.db decrypted into memory (never onto disk), from worker threads.

A database is opened by the loader (see manifest_loader); the index that orders entries (domain, relative
path, file id, with the flags), the flags of rows whose kind only their Mode tells (see `_settle_kinds`) and
the list of domains are built right after, in a thread of their own, while the unlock answers.
Queries wait for them. Each filter's ordered matches are then kept (the manifest never changes), so paging
and totals cost a slice and a length, and a page's rows are read by row id.

A manifest in a RAM file is also read by read-only connections of its own (see ram_file), one query each at a
time: queries of one backup run side by side once the index is built. Without them (SQLite's own memory),
the one connection answers one query at a time.
"""

import sqlite3
import threading
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ios_backup_api.adapters.vault.ended import session_ended
from ios_backup_api.adapters.vault.entries import FilesRow, listed_entry
from ios_backup_api.adapters.vault.heap import give_back_free_memory
from ios_backup_api.adapters.vault.kinds import FLAGS_OF_KIND, KIND_OF_FLAGS
from ios_backup_api.adapters.vault.matches import Filter, MatchCache
from ios_backup_api.adapters.vault.mbfile import MAX_RECORD_BYTES
from ios_backup_api.domain.errors import CorruptBackupError, InvalidQueryError
from ios_backup_api.domain.manifest import FilePage, FileQuery, ManifestEntry

_MATCHES_SHARE = 20  # the kept matches cost at most 1/20 of the manifest's size
_SMALL_IDS = 2**31

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

# Rows with non-text keys or with names longer than any phone's are not entries: they are neither listed nor
# counted (nor indexed: the index leaves them out). Rows of any flags are.
_LISTED = (
    "typeof(fileID) = 'text' AND typeof(domain) = 'text' AND typeof(relativePath) = 'text'"
    f" AND length(CAST(domain AS BLOB)) <= {MAX_DOMAIN_BYTES}"
    f" AND length(CAST(relativePath AS BLOB)) <= {MAX_PATH_BYTES}"
)
_KNOWN_FLAGS = ", ".join(str(flags) for flags in KIND_OF_FLAGS)
_OTHER_FLAGS = f"(flags IS NULL OR flags NOT IN ({_KNOWN_FLAGS}))"
_ORDER = "domain COLLATE BINARY, relativePath COLLATE BINARY, fileID COLLATE BINARY"
# A record too large to be read is not even fetched (the length of a blob costs SQLite nothing to tell).
_COLUMNS = f"fileID, domain, relativePath, flags, CASE WHEN length(file) <= {MAX_RECORD_BYTES} THEN file END"
# What a row weighs against MAX_PAGE_BYTES, told by SQLite (its text in characters, its blobs in bytes), so
# that a page's rows are not measured one value at a time in Python.
# A record too large to be fetched weighs nothing.
_WEIGHT = " + ".join(
    f"CASE WHEN typeof({value}) IN ('text', 'blob'){also} THEN length({value}) ELSE 0 END"
    for value, also in (
        ("fileID", ""),
        ("domain", ""),
        ("relativePath", ""),
        ("flags", ""),
        ("file", f" AND length(file) <= {MAX_RECORD_BYTES}"),
    )
)
_PAGE_COLUMNS = f"{_COLUMNS}, {_WEIGHT}"
_INDEX = "ios_backup_api_order"
# With the flags in it, the index alone answers every filter: the rows themselves are read for pages only.
_CREATE_INDEX = f"CREATE INDEX IF NOT EXISTS {_INDEX} ON Files({_ORDER}, flags) WHERE {_LISTED}"


class ManifestDatabase:
    """One in-memory copy of a backup's Manifest.db. Thread-safe: the writing connection is used under a
    lock, each reader by one query at a time."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        size: int,
        id_type: str,
        flat_payloads: bool = False,
        readers: Sequence[sqlite3.Connection] = (),
    ) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._readers = _Readers(readers)
        self.flat_payloads = flat_payloads
        """Its payloads are `<fileID>` at the folder's root (Manifest.mbdb), not `<fileID[:2]>/<fileID>`."""
        self._lock = threading.Lock()
        self._prepared = threading.Event()
        self._indexed = False
        self._domains: list[str] | None = []
        self._failure: CorruptBackupError | None = None
        self._closing = False
        self._id_type = id_type
        self._matches = MatchCache(max(1024, size // _MATCHES_SHARE // array(id_type).itemsize))
        self._matches_lock = threading.Lock()
        threading.Thread(target=self._prepare, name="manifest-index", daemon=True).start()

    @classmethod
    def opened(
        cls,
        connection: sqlite3.Connection,
        size: int,
        flat_payloads: bool = False,
        readers: Sequence[sqlite3.Connection] = (),
    ) -> "ManifestDatabase":
        """The database on SQLite's `connection` to a plaintext of `size` bytes (and on its read-only
        `readers`, once prepared), configured so that nothing spills to disk; closes the connections and
        raises `CorruptBackupError` when it is no manifest."""
        # A row whose text is not UTF-8 is listed with U+FFFD where the bytes were, never failing the listing
        # nor echoing the raw bytes.
        connection.text_factory = _text
        try:
            # Sorts and indexes never spill to temporary files.
            connection.execute("PRAGMA temp_store = MEMORY")
            # The journal stays in memory (no file), and a failed index (no room to grow) rolls back: with no
            # journal it would leave the database malformed, and the listing with it.
            connection.execute("PRAGMA journal_mode = MEMORY")
            connection.execute("PRAGMA locking_mode = EXCLUSIVE")  # the only connection: no lock calls
            connection.execute(f"PRAGMA mmap_size = {2 * size + (64 << 20)}")  # a RAM file is read in place
            _check_files_table(connection)
            id_type = _id_type(connection)
        except sqlite3.Error as error:
            _close_all(connection, readers)
            raise CorruptBackupError(f"Manifest.db is damaged ({error}).") from error
        except BaseException:
            _close_all(connection, readers)
            raise
        return cls(connection, size, id_type, flat_payloads, readers)

    @property
    def prepared(self) -> bool:
        return self._prepared.is_set()

    def wait_prepared(self) -> None:
        """Blocks until the order index and the domains are built (or found impossible to build)."""
        self._prepared.wait()

    @property
    def domains(self) -> list[str]:
        """Distinct domains by code point, read once: the manifest never changes. Raises
        `CorruptBackupError` for a list longer than any phone's (see `MAX_DOMAINS`)."""
        self._ready()
        if self._domains is None:
            raise CorruptBackupError(
                f"Manifest.db lists more domains than a phone has (over {MAX_DOMAINS:,}"
                f" or over {MAX_DOMAIN_LIST_BYTES >> 20} MiB of names)."
            )
        return list(self._domains)

    def files(self, query: FileQuery) -> FilePage:
        self._ready()
        flags = None if query.kind is None else FLAGS_OF_KIND[query.kind]
        key: Filter = (query.domain, query.path_like, flags, query.parent, query.under)
        with self._reading() as connection:
            if not self._indexed:
                return _scanned_page(connection, key, query)
            with self._matches_lock:
                matches = self._matches.get(key)
            if matches is None:  # two queries of a new filter at once may both find its matches
                matches = _matches(connection, key, self._id_type)
                with self._matches_lock:
                    self._matches.put(key, matches)
            rows = _rows_by_id(connection, matches[query.offset : query.offset + query.limit])
        return FilePage(rows, len(matches), query.limit, query.offset)

    def row(self, file_id: str) -> FilesRow | None:
        self._prepared.wait()  # the preparation holds the writing connection, and readers wait for it
        with self._reading() as connection:
            rows = _run(
                connection,
                f"SELECT {_COLUMNS} FROM Files WHERE fileID = ? AND {_LISTED} LIMIT 1",  # noqa: S608
                [file_id],
            )
        return FilesRow(*rows[0]) if rows else None

    def located(self, entries: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The file ids of those (domain, relative path) pairs the manifest lists, by the order index."""
        self._ready()
        source = f"Files INDEXED BY {_INDEX}" if self._indexed else "Files"
        sql = f"SELECT fileID FROM {source} WHERE domain = ? AND relativePath = ? AND {_LISTED} LIMIT 1"  # noqa: S608
        found = {}
        with self._reading() as connection:
            for pair in entries:
                rows = _run(connection, sql, list(pair))
                if rows:
                    found[pair] = rows[0][0]
        return found

    def close(self) -> None:
        self._closing = True
        connection = self._connection
        if connection is not None and not self._prepared.is_set():
            connection.interrupt()  # the index is not worth finishing
        with self._lock:  # the preparation holds it while it readies the readers: never closed meanwhile
            self._readers.close()
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            with self._matches_lock:
                self._matches.clear()

    def _prepare(self) -> None:
        try:
            with self._lock:
                connection = self._connection
                if connection is None:
                    return
                try:
                    connection.execute(_CREATE_INDEX)
                    self._indexed = True
                except sqlite3.Error:
                    pass  # interrupted by a close, or no room to grow: queries scan the table instead
                if self._closing:
                    return
                _settle_kinds(connection, self._indexed)
                connection.execute("PRAGMA query_only = ON")
                self._domains = _domains(connection, self._indexed)
                connection.execute("PRAGMA shrink_memory")
                if self._readers.wanted:
                    self._readers.start(connection)
            give_back_free_memory()
        except sqlite3.Error as error:
            self._failure = CorruptBackupError(f"Manifest.db is damaged ({error}).")
        finally:
            self._prepared.set()

    def _ready(self) -> None:
        self._prepared.wait()
        if self._connection is None:
            raise session_ended()
        if self._failure is not None:
            raise self._failure

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for one query: a reader of its own when there are readers, else the writing one."""
        if self._readers.started:
            with self._readers.taken() as reader:
                yield reader
            return
        with self._lock:
            if self._connection is None:
                raise session_ended()
            yield self._connection


class _Readers:
    """Read-only connections to the database's RAM file, each lent to one query at a time. They are put to
    use once the writing connection has written its last (built the index): `start`."""

    def __init__(self, readers: Sequence[sqlite3.Connection]) -> None:
        self._idle = list(readers)
        self._closed = False
        self._changed = threading.Condition()
        self.started = False

    @property
    def wanted(self) -> bool:
        return bool(self._idle)

    def start(self, writer: sqlite3.Connection) -> None:
        """With the writer's lock given up: the writer held it for good (`locking_mode = EXCLUSIVE`) while it
        wrote, and SQLite lets it go at the writer's next read. Each reader then holds a shared lock for
        good, so that it never looks at the file's locks (or for a journal) again. On any failure the
        readers are closed and every query takes the writing connection, as without them."""
        try:
            writer.execute("PRAGMA locking_mode = NORMAL")
            writer.execute("SELECT count(*) FROM sqlite_master").fetchone()
            for reader in self._idle:
                reader.text_factory = _text
                reader.execute("PRAGMA temp_store = MEMORY")  # sorts never spill to temporary files
                reader.execute("PRAGMA query_only = ON")
                # Read through SQLite's page cache, not mapped: each mapping of the file would count its
                # pages in the process's resident memory once more.
                reader.execute("PRAGMA mmap_size = 0")
                reader.execute("PRAGMA locking_mode = EXCLUSIVE")
                reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:
            self.close()
            return
        with self._changed:
            self.started = not self._closed

    @contextmanager
    def taken(self) -> Iterator[sqlite3.Connection]:
        with self._changed:
            while not self._idle and not self._closed:
                self._changed.wait()
            if self._closed:
                raise session_ended()
            reader = self._idle.pop()
        try:
            yield reader
        finally:
            with self._changed:
                if self._closed:
                    reader.close()
                else:
                    self._idle.append(reader)
                self._changed.notify()

    def close(self) -> None:
        """Closes the idle readers at once and the lent ones as their queries end."""
        with self._changed:
            self._closed = True
            for reader in self._idle:
                reader.close()
            self._idle.clear()
            self._changed.notify_all()


def _close_all(connection: sqlite3.Connection, readers: Sequence[sqlite3.Connection]) -> None:
    connection.close()
    for reader in readers:
        reader.close()


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _check_files_table(connection: sqlite3.Connection) -> None:
    """A Files table as backups have it: a plain table of plain columns, and nothing in the database that
    runs SQL of the file's own (a generated column, a virtual table's module, a trigger or a view could cost
    any amount of memory or time to read, from a tiny file)."""
    entry = connection.execute("SELECT type, sql FROM sqlite_master WHERE name = 'Files'").fetchone()
    if entry is None or entry[0] != "table":
        raise CorruptBackupError("Manifest.db has no Files table.")
    if str(entry[1] or "").lstrip().upper().startswith("CREATE VIRTUAL"):
        raise CorruptBackupError("Manifest.db's Files table is a virtual table, which no backup has.")
    if any(column[-1] for column in connection.execute("PRAGMA table_xinfo(Files)")):
        raise CorruptBackupError("Manifest.db's Files table has generated columns, which no backup has.")
    (code,) = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', 'view')"
    ).fetchone()
    if code:
        raise CorruptBackupError("Manifest.db holds triggers or views, which no backup has.")
    connection.execute(f"SELECT {_COLUMNS} FROM Files LIMIT 0")  # noqa: S608 - constant SQL


def _settle_kinds(connection: sqlite3.Connection, indexed: bool) -> None:
    """Gives the rows of other flags whose record's mode tells their kind the flags of that kind, in our own
    copy of the manifest (never the backup's file), so that every filter is still answered by `flags = ?`
    from the order index. Real manifests have no such row: finding none costs one scan of the index (40 ms for
    300,000 rows, beside 0.45 s to build it)."""
    source = f"Files INDEXED BY {_INDEX}" if indexed else "Files"
    sql = f"SELECT rowid, {_COLUMNS} FROM {source} WHERE {_LISTED} AND {_OTHER_FLAGS}"  # noqa: S608
    # Compact arrays, not tuples: a damaged manifest may have any number of such rows.
    ids, flags = array("q"), array("b")
    for rowid, *row in connection.execute(sql):
        kind = FilesRow(*row).kind
        if kind is not None:
            ids.append(rowid)
            flags.append(FLAGS_OF_KIND[kind])
    if ids:
        connection.execute("BEGIN")
        connection.executemany("UPDATE Files SET flags = ? WHERE rowid = ?", zip(flags, ids, strict=True))
        connection.execute("COMMIT")


def _id_type(connection: sqlite3.Connection) -> str:
    """Row ids are kept as 4-byte ints when they all fit (reading the last one also checks that the
    table's pages are there, from the root to the last leaf)."""
    (largest,) = connection.execute("SELECT max(rowid) FROM Files").fetchone()
    return "i" if largest is None or -_SMALL_IDS <= largest < _SMALL_IDS else "q"


def _where(key: Filter) -> tuple[str, list[object]]:
    domain, path_like, flags, parent, under = key
    conditions, parameters = [_LISTED], list[object]()
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


def _matching(key: Filter) -> tuple[str, list[object]]:
    where, parameters = _where(key)
    return f"SELECT rowid FROM Files INDEXED BY {_INDEX} WHERE {where} ORDER BY {_ORDER}", parameters  # noqa: S608


def _matches(connection: sqlite3.Connection, key: Filter, id_type: str) -> "array[int]":
    # Row by row from the cursor: a list of 300,000 tuples would leave the heap fragmented behind it.
    try:
        return array(id_type, (rowid for (rowid,) in connection.execute(*_matching(key))))
    except sqlite3.Error as error:
        raise _translated(error) from error


def _rows_by_id(connection: sqlite3.Connection, ids: "array[int]") -> list[ManifestEntry]:
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    sql = f"SELECT rowid, {_PAGE_COLUMNS} FROM Files WHERE rowid IN ({marks})"  # noqa: S608
    by_id = {row[0]: row for row in _page_rows(connection, sql, list(ids))}
    return [listed_entry(*by_id[rowid][1:6]) for rowid in ids]


def _scanned_page(connection: sqlite3.Connection, key: Filter, query: FileQuery) -> FilePage:
    """Without the order index (it could not be built): a count and a sorted page, both by table scans."""
    where, parameters = _where(key)
    count_sql = f"SELECT count(*) FROM Files WHERE {where}"  # noqa: S608
    page_sql = f"SELECT {_PAGE_COLUMNS} FROM Files WHERE {where} ORDER BY {_ORDER} LIMIT ? OFFSET ?"  # noqa: S608
    total = int(_run(connection, count_sql, parameters)[0][0])
    rows = _page_rows(connection, page_sql, [*parameters, query.limit, query.offset])
    return FilePage([listed_entry(*row[:5]) for row in rows], total, query.limit, query.offset)


def _page_rows(connection: sqlite3.Connection, sql: str, parameters: list[object]) -> list[Any]:
    """The rows of one page (their weight last, see `_WEIGHT`), refused (`CorruptBackupError`) as soon as
    their names and records pass `MAX_PAGE_BYTES`: a page too large to be real is never built."""
    rows, size = [], 0
    try:
        for row in connection.execute(sql, parameters):
            size += row[-1]
            if size > MAX_PAGE_BYTES:
                raise CorruptBackupError(
                    f"Manifest.db's rows for this page hold over {MAX_PAGE_BYTES >> 20} MiB, more than a"
                    " phone's could; ask for fewer entries (limit)."
                )
            rows.append(row)
    except sqlite3.Error as error:
        raise _translated(error) from error
    return rows


def _domains(connection: sqlite3.Connection, indexed: bool) -> list[str] | None:
    """None for a list too long to be real: it is not built past its bound."""
    source = f"Files INDEXED BY {_INDEX}" if indexed else "Files"
    sql = f"SELECT DISTINCT domain FROM {source} WHERE {_LISTED} ORDER BY domain COLLATE BINARY"  # noqa: S608
    domains, size = list[str](), 0
    for (domain,) in connection.execute(sql):
        size += len(domain)
        if len(domains) == MAX_DOMAINS or size > MAX_DOMAIN_LIST_BYTES:
            return None
        domains.append(domain)
    return domains


def _run(connection: sqlite3.Connection, sql: str, parameters: list[object]) -> list[Any]:
    try:
        return connection.execute(sql, parameters).fetchall()
    except sqlite3.Error as error:
        raise _translated(error) from error


def _translated(error: sqlite3.Error) -> InvalidQueryError | CorruptBackupError:
    if isinstance(error, sqlite3.OperationalError) and "pattern too complex" in str(error):
        return InvalidQueryError("path_like is too long.")
    return CorruptBackupError(f"Manifest.db is damaged ({error}).")
