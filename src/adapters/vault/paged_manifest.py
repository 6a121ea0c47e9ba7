"""A Manifest.db queried from the backup's own file, page by page (see manifest_pages): the memory an unlocked
manifest costs is its order table, its decoded records and bounded page caches, not its size.

The file is never written, so the order index is a table of its own (domain, relative path, file id, flags,
row id), its rows in the order, in a database in memory that every connection of the manifest shares
(SQLite's `memdb`): built once after the unlock, it answers every filter as the index of an in-memory copy
does (see manifest_db). Its records are decoded next, while queries are answered (see manifest_records);
until they are, a page reads its rows' records from the file.
"""

import os
import secrets
from collections.abc import Sequence
from typing import Any

import apsw

from ios_backup_api.adapters.vault import manifest_queries as queries
from ios_backup_api.adapters.vault.cbc import BLOCK_SIZE, plaintext_length
from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase, settle
from ios_backup_api.adapters.vault.manifest_lines import line_sql, run_sql, written
from ios_backup_api.adapters.vault.manifest_pages import VFS_NAME, ManifestPages, pages_vfs
from ios_backup_api.adapters.vault.manifest_queries import Completing, Connection, Dialect
from ios_backup_api.adapters.vault.manifest_records import DECODED, DECODED_WEIGHT, RECORDS, DecodedRecords
from ios_backup_api.adapters.vault.matches import Filter, Matches
from ios_backup_api.domain.errors import CorruptBackupError
from ios_backup_api.domain.manifest import ManifestEntry

READERS = 4
"""Connections of one manifest on which its queries run side by side, beside the one that builds its index."""
CACHE_KIB = 2048
"""The page cache of each connection: decrypted pages SQLite keeps (five connections: 10 MiB at most)."""
_BUSY_MS = 10_000
_SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_OPEN = apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE | apsw.SQLITE_OPEN_URI
_KEPT = "kept.entries"
# A plain table whose row ids are the positions of its rows in the order: a filter's matches are read in
# row id order, a page of them by row id, and a pair is found by a binary search of the positions.
_CREATE_KEPT = f"CREATE TABLE {_KEPT} (domain, relativePath, fileID, flags, id)"
# NOT INDEXED: the rows are read in the table's own order and sorted in memory, not looked up one by one in
# the order of the file's domain index.
_FILL_KEPT = (
    f"INSERT INTO {_KEPT} SELECT domain, relativePath, fileID, flags, rowid FROM Files NOT INDEXED"  # noqa: S608
    f" WHERE {queries.LISTED} ORDER BY {queries.ORDER}, rowid"
)
_NAMES = (
    "CAST(e.fileID AS BLOB), CAST(e.domain AS BLOB), CAST(e.relativePath AS BLOB),"
    f" {queries.flags_of('e.flags', blobs=True)}"
)
# What a row weighs, as the in-memory path weighs it (`names_weight`, `weighed`): its names and flags as
# kept, its record as the file holds it (or, once decoded, as weighed then: `DECODED_WEIGHT`).
_NAMES_WEIGHT = queries.names_weight("e.")
# A row never decoded weighs its names alone; its flags are weighed as kept (settled), as in `_NAMES_WEIGHT`.
_DECODED_WEIGHT = (
    f"coalesce({DECODED_WEIGHT}, {queries.names_weight('e.', flags=False)}) + {queries.weighed('e.flags')}"
)
_RECORD = queries.record_of("f.file", blobs=True)
_LINE = line_sql("e.", "d.")
_LACKS_ROWS = "Manifest.db's order index lacks rows it listed."  # it never changes: the file is damaged
_RECORD_WEIGHT = queries.weighed("f.file", record=True)


class KeptIndex:
    """The order index as a table beside the manifest (see the module's docstring), and the records of its
    rows once decoded (see manifest_records)."""

    dialect = Dialect(_KEPT, "rowid", blobs=True, order="rowid")
    paged = True

    def __init__(self) -> None:
        self.records = DecodedRecords()

    def build(self, connection: Connection) -> bool:
        try:
            connection.execute(_CREATE_KEPT)
            connection.execute(_FILL_KEPT)
        except apsw.Error:
            return False  # interrupted by a close: queries scan the table instead
        return True

    def settle_kinds(self, connection: Connection, indexed: bool) -> None:
        """As `InPlaceIndex.settle_kinds`, in the kept table (the manifest's own rows are never written)."""
        if not indexed:
            return  # without the index every filter reads the table, and a kind of `flags = ?` alone
        sql = (
            f"SELECT e.rowid, {_NAMES}, {_RECORD} FROM {_KEPT} e JOIN Files f ON f.rowid = e.id"  # noqa: S608
            f" WHERE e.flags IS NULL OR e.flags NOT IN ({queries.KNOWN_FLAGS})"
        )
        update = f"UPDATE {_KEPT} SET flags = ? WHERE rowid = ?"  # noqa: S608
        settle(connection, connection.execute(sql), update, self.dialect)

    def ready_readers(self, writer: Connection, readers: Sequence[Connection]) -> None:
        for reader in readers:
            reader.execute("PRAGMA query_only = ON")

    def matches(self, connection: Connection, key: Filter, ids: str) -> Matches:
        domain, path_like, flags, parent, under = key
        within = None if domain is None else _range(connection, (domain,))
        if path_like is None and flags is None and parent is None and under is None and _plain(domain):
            # Every kept row is listed: with no filter but the domain, the matches are a run of positions.
            return range(*within) if within is not None else range(1, _count(connection) + 1)
        return queries.matches(connection, self.dialect, key, ids, within)

    def page(self, connection: Connection, ids: Matches) -> list[ManifestEntry]:
        if not ids:
            return []
        within, parameters = _within(ids)
        # In the order of the positions, as `ids` are (ascending): the rows are built as they come.
        if self.records.complete:
            sql = (
                f"SELECT e.rowid, {_NAMES}, {DECODED}, {_DECODED_WEIGHT}"  # noqa: S608
                f" FROM {_KEPT} e LEFT JOIN {RECORDS} d ON d.id = e.id"
                f" WHERE e.rowid {within} ORDER BY e.rowid"
            )
            build = self.records.entry
        else:
            sql = (
                f"SELECT e.rowid, {_NAMES}, {_RECORD}, {_NAMES_WEIGHT} + {_RECORD_WEIGHT}"  # noqa: S608
                f" FROM {_KEPT} e JOIN Files f ON f.rowid = e.id WHERE e.rowid {within} ORDER BY e.rowid"
            )
            build = self.dialect.entry
        rows = _rows(connection, sql, parameters, ids)
        return [build(row[1:-1]) for row in rows]

    def lines(self, connection: Connection, ids: Matches) -> bytes | None:
        """The JSON lines of the entries at `ids` (see manifest_lines), once the records are decoded; None
        before, or when SQLite can't write one of them (or one is longer than a line may be, or they weigh
        more than a page may)."""
        if not self.records.complete or not ids:
            return None
        within, parameters = _within(ids)
        source = f"FROM {_KEPT} e LEFT JOIN {RECORDS} d ON d.id = e.id WHERE e.rowid {within}"
        ((rows, lines, weight, run),) = queries.run(
            connection, run_sql(source, _LINE, _DECODED_WEIGHT), parameters
        )
        if rows != len(ids):
            raise CorruptBackupError(_LACKS_ROWS)
        return written(rows, lines, weight, run)

    def located(
        self, connection: Connection, indexed: bool, entries: list[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        if not indexed:
            return queries.located(connection, self.dialect, indexed, entries)
        found = {}
        for pair in entries:
            first, stop = _range(connection, pair)
            if first < stop:
                (file_id,) = queries.run(
                    connection,
                    f"SELECT CAST(fileID AS BLOB) FROM {_KEPT} WHERE rowid = ?",  # noqa: S608
                    [first],
                )[0]
                found[pair] = self.dialect.decoded(file_id)
        return found

    def complete(self, work: Completing) -> None:
        self.records.decode(work)


def _within(ids: Matches) -> tuple[str, list[object]]:
    """The condition on `e.rowid` (and its parameters) that selects the positions `ids`."""
    if ids[-1] - ids[0] == len(ids) - 1:  # a run of positions (matches are distinct and ascending)
        return "BETWEEN ? AND ?", [ids[0], ids[-1]]
    return f"IN ({', '.join('?' * len(ids))})", list(ids)


def _rows(connection: Connection, sql: str, parameters: list[object], ids: Matches) -> list[Any]:
    """The page's rows (their positions first), checked against the positions asked for."""
    rows = queries.page_rows(connection, sql, parameters)
    if [row[0] for row in rows] != list(ids):
        raise CorruptBackupError(_LACKS_ROWS)
    return rows


def _plain(domain: str | None) -> bool:
    """Whether the domain (if any) is text SQLite compares as the binary search does: no lone surrogate."""
    if domain is not None:
        try:
            domain.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def _count(connection: Connection) -> int:
    (largest,) = connection.execute(f"SELECT max(rowid) FROM {_KEPT}").fetchone()  # noqa: S608
    return int(largest or 0)  # NULL when the table is empty


def _range(connection: Connection, names: tuple[str, ...]) -> tuple[int, int]:
    """The positions [first, stop) of the rows whose leading names (the domain, then the relative path) are
    `names`, by a binary search of the kept table, which is sorted by those names' bytes (BINARY): a
    comparison of UTF-8 bytes is one of code points."""
    wanted = tuple(name.encode("utf-8", "surrogatepass") for name in names)
    columns = ", ".join(f"CAST({column} AS BLOB)" for column in ("domain", "relativePath")[: len(names)])
    sql = f"SELECT {columns} FROM {_KEPT} WHERE rowid = ?"  # noqa: S608
    count = _count(connection)

    def key(position: int) -> tuple[bytes, ...]:
        return tuple(connection.execute(sql, (position,)).fetchone())

    low, high = 1, count + 1
    while low < high:  # the first position whose names are not below `wanted`
        middle = (low + high) // 2
        if key(middle) < wanted:
            low = middle + 1
        else:
            high = middle
    first, high = low, count + 1
    while low < high:  # the first position whose names are above `wanted`
        middle = (low + high) // 2
        if key(middle) <= wanted:
            low = middle + 1
        else:
            high = middle
    return first, low


def opened(pages: ManifestPages, key_size: int) -> ManifestDatabase | None:
    """The manifest `pages` hold, on connections of its own; `pages` are theirs from now on. `key_size`
    is what the manifest is counted as for the memory its kept matches may take. None for a Files table
    not declared as backups have it (see `_standard_files_table`), which is then loaded into memory. Raises
    `CorruptBackupError` when it is no manifest (its connections closed)."""
    vfs = pages_vfs()
    kept, decoded = (
        f"file:/ios-backup-api-{name}-{secrets.token_hex(16)}?vfs=memdb" for name in ("kept", "records")
    )
    connections: list[apsw.Connection] = []
    database = None
    try:
        with vfs.registered(pages) as uri:
            for _ in range(1 + READERS):
                connection = apsw.Connection(uri, flags=_OPEN, vfs=VFS_NAME)
                connections.append(connection)
                connection.execute("PRAGMA temp_store = MEMORY")  # sorts never spill to temporary files
                # The records' batches are written while readers read (a statement may read every attached
                # database's schema): each waits for the other's lock, a fraction of a millisecond.
                connection.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
                connection.execute(f"PRAGMA main.cache_size = -{CACHE_KIB}")
                connection.execute("ATTACH ? AS kept", (kept,))
                connection.execute("ATTACH ? AS records", (decoded,))
                # The kept table is read in place from the memory that holds it, not copied to each cache.
                connection.execute(f"PRAGMA kept.mmap_size = {1 << 30}")
                connection.execute(f"PRAGMA records.mmap_size = {1 << 30}")
        writer = connections[0]
        queries.check_files_table(writer)
        if _standard_files_table(writer):
            id_type = queries.id_type(writer)
            database = ManifestDatabase(writer, key_size, id_type, readers=connections[1:], index=KeptIndex())
    except (*queries.DATABASE_ERRORS, UnicodeDecodeError) as error:
        raise queries.translated(error) from error
    finally:
        pages.release()  # the connections hold it while they are open
        if database is None:  # no manifest, or one held in memory instead: its connections are not kept
            for connection in connections:
                connection.close()
    return database


_STANDARD_COLUMNS = {
    "fileID": "TEXT",
    "domain": "TEXT",
    "relativePath": "TEXT",
    "flags": "INTEGER",
    "file": "BLOB",
}


def _standard_files_table(connection: Connection) -> bool:
    """Whether the Files table is declared as every backup's is (the five columns of these types, fileID
    its primary key, no collation, a rowid table): the kept copy of its names then sorts, compares and ties
    as the table itself does. A crafted table is held in memory instead, where its own declarations rule."""
    (sql,) = connection.execute("SELECT CAST(sql AS BLOB) FROM sqlite_master WHERE name = 'Files'").fetchone()
    declared = bytes(sql or b"").upper()
    if b"COLLATE" in declared or b"WITHOUT" in declared:
        return False
    columns = {
        bytes(name).decode("utf-8", "replace"): (bytes(kind or b"").decode("utf-8", "replace").upper(), pk)
        for name, kind, pk in connection.execute(
            "SELECT CAST(name AS BLOB), CAST(type AS BLOB), pk FROM pragma_table_xinfo('Files')"
        )
    }
    return all(columns.get(name) == (kind, int(name == "fileID")) for name, kind in _STANDARD_COLUMNS.items())


def pages_of(fd: int, key: bytes | None) -> ManifestPages | None:
    """The pages of the Manifest.db open as `fd` (taken: closed unless pages are made of it), decrypted with
    `key` or plaintext without; None when its size, padding or header is not a sound database's, which the
    in-memory load then reports as it does."""
    try:
        size = os.fstat(fd).st_size
        length: int | None = size
        if key is not None:
            if size < 2 * BLOCK_SIZE or size % BLOCK_SIZE:
                length = None
            else:
                length = plaintext_length(key, size, os.pread(fd, 2 * BLOCK_SIZE, size - 2 * BLOCK_SIZE))
        if length is not None and length >= _HEADER_SIZE:
            pages = ManifestPages(fd, length, key)
            header = pages.read(_HEADER_SIZE, 0)
            # UTF-8 text only (header bytes 56-59; 0 in an empty database): the names are compared and
            # decoded as UTF-8 bytes, and SQLite's CAST to BLOB gives a database's text in its own encoding.
            if header.startswith(_SQLITE_HEADER) and int.from_bytes(header[56:60], "big") in (0, 1):
                return pages
            pages.release()
            return None
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None
