"""A Manifest.db queried from the backup's own file, page by page (see manifest_pages): the memory an unlocked
manifest costs is its order index and bounded page caches, not its size.

The file is never written, so the order index is a table of its own (domain, relative path, file id, flags,
row id) in a database in memory that every connection of the manifest shares (SQLite's `memdb`): built once
after the unlock, it answers every filter as the index of an in-memory copy does (see manifest_db).
"""

import os
import secrets
from collections.abc import Sequence

import apsw

from ios_backup_api.adapters.vault import manifest_queries as queries
from ios_backup_api.adapters.vault.cbc import BLOCK_SIZE, plaintext_length
from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase, settle
from ios_backup_api.adapters.vault.manifest_pages import VFS_NAME, ManifestPages, pages_vfs
from ios_backup_api.adapters.vault.manifest_queries import Connection, Dialect

READERS = 4
"""Connections of one manifest on which its queries run side by side, beside the one that builds its index."""
CACHE_KIB = 2048
"""The page cache of each connection: decrypted pages SQLite keeps (five connections: 10 MiB at most)."""
_SQLITE_HEADER = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_OPEN = apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE | apsw.SQLITE_OPEN_URI
_KEPT = "kept.entries"
_CREATE_KEPT = (
    f"CREATE TABLE {_KEPT} (domain, relativePath, fileID, flags, id,"
    " PRIMARY KEY (domain, relativePath, fileID, id)) WITHOUT ROWID"
)
# NOT INDEXED: the rows are read in the table's own order and sorted in memory, not looked up one by one in
# the order of the file's domain index.
_FILL_KEPT = (
    f"INSERT INTO {_KEPT} SELECT domain, relativePath, fileID, flags, rowid FROM Files NOT INDEXED"  # noqa: S608
    f" WHERE {queries.LISTED} ORDER BY {queries.ORDER}, rowid"
)


class KeptIndex:
    """The order index as a table beside the manifest (see the module's docstring)."""

    dialect = Dialect(_KEPT, "id", blobs=True)
    paged = True

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
            f"SELECT rowid, {self.dialect.columns} FROM Files"  # noqa: S608
            f" WHERE rowid IN (SELECT id FROM {_KEPT} WHERE {queries.OTHER_FLAGS})"
        )
        update = f"UPDATE {_KEPT} SET flags = ? WHERE id = ?"  # noqa: S608
        settle(connection, connection.execute(sql), update, self.dialect)

    def ready_readers(self, writer: Connection, readers: Sequence[Connection]) -> None:
        for reader in readers:
            reader.execute("PRAGMA query_only = ON")


KEPT = KeptIndex()


def opened(pages: ManifestPages, key_size: int) -> ManifestDatabase:
    """The manifest `pages` hold, on connections of its own; `pages` are theirs from now on. `key_size`
    is what the manifest is counted as for the memory its kept matches may take. Raises
    `CorruptBackupError` when it is no manifest (its connections closed)."""
    vfs = pages_vfs()
    kept = f"file:/ios-backup-api-kept-{secrets.token_hex(16)}?vfs=memdb"
    connections: list[apsw.Connection] = []
    try:
        with vfs.registered(pages) as uri:
            for _ in range(1 + READERS):
                connection = apsw.Connection(uri, flags=_OPEN, vfs=VFS_NAME)
                connections.append(connection)
                connection.execute("PRAGMA temp_store = MEMORY")  # sorts never spill to temporary files
                connection.execute(f"PRAGMA main.cache_size = -{CACHE_KIB}")
                connection.execute("ATTACH ? AS kept", (kept,))
                # The kept table is read in place from the memory that holds it, not copied to each cache.
                connection.execute(f"PRAGMA kept.mmap_size = {1 << 30}")
        writer = connections[0]
        queries.check_files_table(writer)
        id_type = queries.id_type(writer)
    except (*queries.DATABASE_ERRORS, UnicodeDecodeError) as error:
        for connection in connections:
            connection.close()
        raise queries.translated(error) from error
    except BaseException:
        for connection in connections:
            connection.close()
        raise
    finally:
        pages.release()  # the connections hold it while they are open
    return ManifestDatabase(writer, key_size, id_type, readers=connections[1:], index=KEPT)


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
            if pages.read(len(_SQLITE_HEADER), 0) == _SQLITE_HEADER:
                return pages
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None
