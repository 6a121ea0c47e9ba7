"""Queries of a Manifest.db, from worker threads: decrypted into memory (never onto disk), or read page by
page from its file (see paged_manifest), the two told apart by their `OrderIndex`.

A database is opened by the loader (see manifest_loader); the index that orders entries (domain, relative
path, file id, with the flags), the flags of rows whose kind only their Mode tells (see `settle`) and the
list of domains are built right after, in a thread of their own, while the unlock answers. Queries wait for
them. Each filter's ordered matches are then kept (the manifest never changes), so paging and totals cost a
slice and a length, and a page's rows are read by row id. What the index completes after that
(`OrderIndex.complete`) runs while queries are answered, only when none runs.

A manifest in a RAM file, or read from its file, is also read by read-only connections of its own, one query
each at a time: queries of one backup run side by side once the index is built. Without them (SQLite's own
memory), the one connection answers one query at a time.
"""

import sqlite3
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import partial
from typing import Protocol

from ios_backup_api.adapters.vault import manifest_queries as queries
from ios_backup_api.adapters.vault.ended import session_ended
from ios_backup_api.adapters.vault.entries import FilesRow
from ios_backup_api.adapters.vault.heap import give_back_free_memory
from ios_backup_api.adapters.vault.kinds import FLAGS_OF_KIND
from ios_backup_api.adapters.vault.manifest_queries import DATABASE_ERRORS, Completing, Connection, Dialect
from ios_backup_api.adapters.vault.matches import Filter, MatchCache, Matches
from ios_backup_api.domain.errors import CorruptBackupError
from ios_backup_api.domain.manifest import EntryRun, FilePage, FileQuery, ManifestEntry

_MATCHES_SHARE = 20  # the kept matches cost at most 1/20 of the manifest's size
_QUIET_WAIT = 0.005
"""Under a load that never pauses, a batch of the records' decoding each 5 ms: decoded in under half the time
that 20 ms took (see docs/PERFORMANCE.md), after which every page is read from memory."""
_CLOSE_WAIT = 1.0
_INDEX = "ios_backup_api_order"
# With the flags in it, the index alone answers every filter: the rows themselves are read for pages only.
_CREATE_INDEX = f"CREATE INDEX IF NOT EXISTS {_INDEX} ON Files({queries.ORDER}, flags) WHERE {queries.LISTED}"


class OrderIndex(Protocol):
    """How a way of holding the manifest orders it: where the order index is, how it is built (False when it
    could not be), how the readers are readied once it is (raising when they can't be), how a filter's
    matches, a page of them and located pairs are read, and what it completes while queries are answered
    (`complete`, which ends by making the writing connection query-only)."""

    dialect: Dialect
    paged: bool
    """The manifest is read page by page from its file (see paged_manifest), not held in memory."""

    def build(self, connection: Connection) -> bool: ...

    def settle_kinds(self, connection: Connection, indexed: bool) -> None: ...

    def ready_readers(self, writer: Connection, readers: Sequence[Connection]) -> None: ...

    def matches(self, connection: Connection, key: Filter, ids: str) -> Matches: ...

    def page(self, connection: Connection, ids: Matches) -> list[ManifestEntry]: ...

    def lines(self, connection: Connection, ids: Matches) -> bytes | None: ...

    def located(
        self, connection: Connection, indexed: bool, entries: list[tuple[str, str]]
    ) -> dict[tuple[str, str], str]: ...

    def complete(self, work: Completing) -> None: ...


class InPlaceIndex:
    """An index of the Files table itself, in our own copy of the manifest (never the backup's file)."""

    dialect = Dialect(f"Files INDEXED BY {_INDEX}", "rowid", blobs=False)
    paged = False

    def build(self, connection: Connection) -> bool:
        try:
            connection.execute(_CREATE_INDEX)
        except sqlite3.Error:
            return False  # interrupted by a close, or no room to grow: queries scan the table instead
        return True

    def settle_kinds(self, connection: Connection, indexed: bool) -> None:
        """Gives the rows of other flags whose record's mode tells their kind the flags of that kind, so that
        every filter is still answered by `flags = ?` from the order index. Real manifests have no such row:
        finding none costs one scan of the index (40 ms for 300,000 rows, beside 0.45 s to build it)."""
        source = self.dialect.source if indexed else "Files"
        sql = (
            f"SELECT rowid, {self.dialect.columns} FROM {source}"  # noqa: S608
            f" WHERE {queries.LISTED} AND {queries.OTHER_FLAGS}"
        )
        settle(
            connection, connection.execute(sql), "UPDATE Files SET flags = ? WHERE rowid = ?", self.dialect
        )

    def matches(self, connection: Connection, key: Filter, ids: str) -> "array[int]":
        return queries.matches(connection, self.dialect, key, ids)

    def page(self, connection: Connection, ids: Matches) -> list[ManifestEntry]:
        return queries.rows_by_id(connection, self.dialect, ids)

    def lines(self, connection: Connection, ids: Matches) -> None:
        return None  # its records are decoded page by page, in Python

    def located(
        self, connection: Connection, indexed: bool, entries: list[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        return queries.located(connection, self.dialect, indexed, entries)

    def complete(self, work: Completing) -> None:
        with work.lock:
            if not work.closing():
                work.connection.execute("PRAGMA query_only = ON")

    def ready_readers(self, writer: Connection, readers: Sequence[Connection]) -> None:
        """With the writer's lock given up: the writer held it for good (`locking_mode = EXCLUSIVE`) while it
        wrote, and SQLite lets it go at the writer's next read. Each reader then holds a shared lock for
        good, so that it never looks at the file's locks (or for a journal) again."""
        writer.execute("PRAGMA locking_mode = NORMAL")
        writer.execute("SELECT count(*) FROM sqlite_master").fetchone()
        for reader in readers:
            if isinstance(reader, sqlite3.Connection):
                reader.text_factory = _text
            reader.execute("PRAGMA temp_store = MEMORY")  # sorts never spill to temporary files
            reader.execute("PRAGMA query_only = ON")
            # Read through SQLite's page cache, not mapped: each mapping of the file would count its
            # pages in the process's resident memory once more.
            reader.execute("PRAGMA mmap_size = 0")
            reader.execute("PRAGMA locking_mode = EXCLUSIVE")
            reader.execute("SELECT count(*) FROM sqlite_master").fetchone()


def settle(connection: Connection, rows: Iterator[tuple[object, ...]], update: str, dialect: Dialect) -> None:
    """Sets the flags (by `update`, of flags and row id) of those `rows` (a row id, then a FilesRow's
    columns) whose record's mode tells their kind."""
    # Compact arrays, not tuples: a damaged manifest may have any number of such rows.
    ids, flags = array("q"), array("b")
    for rowid, *values in rows:
        kind = dialect.row(tuple(values)).kind
        if kind is not None:
            ids.append(int(rowid))  # type: ignore[call-overload]
            flags.append(FLAGS_OF_KIND[kind])
    if ids:
        queries.write_all(connection, update, zip(flags, ids, strict=True))


IN_PLACE = InPlaceIndex()


class ManifestDatabase:
    """One backup's Manifest.db, held in memory or read page by page from its file (`index`). Thread-safe:
    the writing connection is used under a lock, each reader by one query at a time."""

    def __init__(
        self,
        connection: Connection,
        size: int,
        id_type: str,
        flat_payloads: bool = False,
        readers: Sequence[Connection] = (),
        index: OrderIndex = IN_PLACE,
    ) -> None:
        self._connection: Connection | None = connection
        self._readers = _Readers(readers)
        self._index = index
        self._dialect = index.dialect
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
        self._queries = 0
        self._quiet = threading.Condition()
        self._completed = threading.Event()
        self._waiters: list[Callable[[], None]] = []
        self._waiters_lock = threading.Lock()
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
            queries.check_files_table(connection)
            id_type = queries.id_type(connection)
        except sqlite3.Error as error:
            _close_all(connection, readers)
            raise CorruptBackupError(f"Manifest.db is damaged ({error}).") from error
        except BaseException:
            _close_all(connection, readers)
            raise
        return cls(connection, size, id_type, flat_payloads, readers)

    @property
    def paged(self) -> bool:
        return self._index.paged

    @property
    def prepared(self) -> bool:
        return self._prepared.is_set()

    def wait_prepared(self) -> None:
        """Blocks until the order index and the domains are built (or found impossible to build)."""
        self._prepared.wait()

    def when_prepared(self, callback: Callable[[], None]) -> None:
        """Calls `callback` (from the preparing thread, or at once) when `prepared` is true."""
        with self._waiters_lock:
            if not self._prepared.is_set():
                self._waiters.append(callback)
                return
        callback()

    def wait_completed(self) -> None:
        """Blocks until what the way of holding it completes after the preparation is done (or given up)."""
        self._completed.wait()

    @property
    def domains(self) -> list[str]:
        """Distinct domains by code point, read once: the manifest never changes. Raises
        `CorruptBackupError` for a list longer than any phone's (see `MAX_DOMAINS`)."""
        self._ready()
        if self._domains is None:
            raise CorruptBackupError(
                f"Manifest.db lists more domains than a phone has (over {queries.MAX_DOMAINS:,}"
                f" or over {queries.MAX_DOMAIN_LIST_BYTES >> 20} MiB of names)."
            )
        return list(self._domains)

    def files(self, query: FileQuery) -> FilePage:
        run = self._answered(query, written=False)
        return FilePage(run.items, run.total, query.limit, query.offset)

    def run(self, query: FileQuery) -> EntryRun:
        """The page `files` answers, as JSON lines where the way of holding the manifest writes them."""
        return self._answered(query, written=True)

    def _answered(self, query: FileQuery, written: bool) -> EntryRun:
        """The query's page: with `written`, its lines where the index writes them, else its entries."""
        self._ready()
        key = _filter(query)
        with self._reading() as connection:
            if not self._indexed:
                page = queries.scanned_page(connection, self._dialect, key, query)
                return EntryRun(page.items, None, len(page.items), page.total)
            matches = self._matched(connection, key)
            ids = matches[query.offset : query.offset + query.limit]
            lines = self._index.lines(connection, ids) if written else None
            items = [] if lines is not None else self._index.page(connection, ids)
        return EntryRun(items, lines, len(ids) if lines is not None else len(items), len(matches))

    def _matched(self, connection: Connection, key: Filter) -> Matches:
        with self._matches_lock:
            matches = self._matches.get(key)
        if matches is None:  # two queries of a new filter at once may both find its matches
            matches = self._index.matches(connection, key, self._id_type)
            with self._matches_lock:
                self._matches.put(key, matches)
        return matches

    def row(self, file_id: str) -> FilesRow | None:
        self._prepared.wait()  # the preparation holds the writing connection, and readers wait for it
        with self._reading() as connection:
            return queries.row(connection, self._dialect, file_id)

    def located(self, entries: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The file ids of those (domain, relative path) pairs the manifest lists, by the order index."""
        self._ready()
        with self._reading() as connection:
            return self._index.located(connection, self._indexed, entries)

    def close(self) -> None:
        self._closing = True
        with self._quiet:
            self._quiet.notify_all()
        connection = self._connection
        if connection is not None and not self._prepared.is_set():
            connection.interrupt()  # the index is not worth finishing
        with self._matches_lock:
            self._matches.clear()
        # The preparation holds the lock while it readies the readers (never closed meanwhile), and so does
        # the work after it while it reads a batch. A read of a folder that stopped answering can hold it for
        # good: then that thread closes the connections itself when its read returns (`_closed_if_closing`),
        # and this close, run on a shared worker thread, returns.
        if self._lock.acquire(timeout=_CLOSE_WAIT):
            try:
                self._close_connections()
            finally:
                self._lock.release()

    def _close_connections(self) -> None:
        """Under the lock."""
        self._readers.close()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _closed_if_closing(self) -> None:
        if self._closing:
            with self._lock:
                self._close_connections()

    def _prepare(self) -> None:
        """The preparing thread: the order index and the rest, then what the index completes after it."""
        try:
            self._prepare_index()
            connection = self._connection
            if connection is not None and self._failure is None and not self._closing:
                # Interrupted by a close, no room, or a crafted file: what it would add is done without.
                with suppress(Exception):  # its queries are answered without what it adds
                    self._index.complete(
                        Completing(connection, self._lock, lambda: self._closing, self._wait_quiet)
                    )
        finally:
            try:
                self._closed_if_closing()
            finally:
                self._completed.set()

    def _prepare_index(self) -> None:
        try:
            with self._lock:
                connection = self._connection
                if connection is None:
                    return
                self._indexed = self._index.build(connection)
                if self._closing:
                    return
                self._index.settle_kinds(connection, self._indexed)
                self._domains = queries.domains(connection, self._dialect, self._indexed)
                connection.execute("PRAGMA shrink_memory")
                if self._readers.wanted:
                    self._readers.start(partial(self._index.ready_readers, connection))
            give_back_free_memory()
        except Exception as error:
            self._failure = CorruptBackupError(f"Manifest.db is damaged ({error}).")
        finally:
            self._prepared.set()
            with self._waiters_lock:
                waiters, self._waiters = self._waiters, []
            for callback in waiters:
                callback()

    def _ready(self) -> None:
        self._prepared.wait()
        if self._connection is None or self._closing:
            raise session_ended()
        if self._failure is not None:
            raise self._failure

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A connection for one query: a reader of its own when there are readers, else the writing one."""
        with self._quiet:
            self._queries += 1
        try:
            with self._connection_for_a_query() as connection:
                yield connection
        finally:
            with self._quiet:
                self._queries -= 1
                self._quiet.notify_all()

    def _wait_quiet(self) -> None:
        """Returns once no query runs (or the database is closing), or after `_QUIET_WAIT` at most: what
        `complete` does waits for that, so that queries seldom share the interpreter with it, and under a
        load that never pauses it still goes on (a batch each `_QUIET_WAIT`)."""
        with self._quiet:
            self._quiet.wait_for(lambda: not self._queries or self._closing, timeout=_QUIET_WAIT)

    @contextmanager
    def _connection_for_a_query(self) -> Iterator[Connection]:
        if self._readers.started:
            with self._readers.taken() as reader:
                yield reader
            return
        with self._lock:
            if self._connection is None or self._closing:
                raise session_ended()
            yield self._connection


class _Readers:
    """Read-only connections to the database's RAM file, each lent to one query at a time. They are put to
    use once the writing connection has written its last (built the index): `start`."""

    def __init__(self, readers: Sequence[Connection]) -> None:
        self._idle = list(readers)
        self._closed = False
        self._changed = threading.Condition()
        self.started = False

    @property
    def wanted(self) -> bool:
        return bool(self._idle)

    def start(self, ready: Callable[[Sequence[Connection]], None]) -> None:
        """Puts the readers to use once `ready` has readied them; on any failure they are closed and every
        query takes the writing connection, as without them."""
        try:
            ready(self._idle)
        except DATABASE_ERRORS:
            self.close()
            return
        with self._changed:
            self.started = not self._closed

    @contextmanager
    def taken(self) -> Iterator[Connection]:
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


def _filter(query: FileQuery) -> Filter:
    flags = None if query.kind is None else FLAGS_OF_KIND[query.kind]
    return (query.domain, query.path_like, flags, query.parent, query.under)


def _close_all(connection: Connection, readers: Sequence[Connection]) -> None:
    connection.close()
    for reader in readers:
        reader.close()


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")
