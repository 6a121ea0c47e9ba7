"""The AppDatabases of unlocked backups: each app database decrypted into memory once per backup version,
its `-wal` applied, shared by every session of the backup, the least recently used dropped to make room.
Decrypted into a nameless RAM file that SQLite reads in place, where one can be made (one copy), else into
SQLite's own memory (a second copy, `deserialize`'s)."""

import asyncio
import errno
import io
import mmap
from collections import OrderedDict
from contextlib import suppress
from functools import partial

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.loading import loaded_database, loaded_ram_database, zeroed
from ios_backup_api.adapters.sql.ram_file import RamFile, RamFiles
from ios_backup_api.domain.errors import EntryNotFoundError, ViewNotFoundError, ViewUnreadableError
from ios_backup_api.domain.manifest import ByteRange
from ios_backup_api.domain.ports.vault import FileContent, OpenBackup
from ios_backup_api.domain.views.pages import EntryRef

_Key = tuple[str, str, EntryRef]
"""(backup id, the backup's version, database entry): a rewritten backup is read anew."""


class SqliteAppDatabases:
    """`max_bytes` bounds the plaintext held for all backups. A database that a request still reads when it
    is dropped lives until that request ends (the connection closes with its last reference). `ram_files`:
    where RAM files are made (None: SQLite's memory alone, as where one can't be made)."""

    def __init__(
        self, max_bytes: int = 1 << 30, read_seconds: float = 30.0, ram_files: RamFiles | None = None
    ) -> None:
        self._max_bytes = max_bytes
        self._ram_files = ram_files
        self._read_seconds = read_seconds
        self._held: OrderedDict[_Key, SqliteAppDatabase] = OrderedDict()
        self._loading: dict[_Key, asyncio.Lock] = {}

    async def database(self, backup_id: str, opened: OpenBackup, source: EntryRef) -> SqliteAppDatabase:
        key = (backup_id, opened.version, source)
        held = self._held.get(key)
        if held is not None:  # the common case: no look at the manifest or the folder
            self._held.move_to_end(key)
            return held
        async with self._loading.setdefault(key, asyncio.Lock()):  # one load per version, however many ask
            held = self._held.get(key)
            if held is None:
                held = await self._load(source, *await _contents(opened, source))
                self._make_room(held.size)
                self._held[key] = held
            self._held.move_to_end(key)
            return held

    async def forget(self, backup_id: str) -> None:
        for key in [key for key in self._loading if key[0] == backup_id and not self._loading[key].locked()]:
            del self._loading[key]
        for key in [key for key in self._held if key[0] == backup_id]:
            await asyncio.to_thread(self._held.pop(key).close)

    async def _load(self, source: EntryRef, main: FileContent, wal: FileContent | None) -> SqliteAppDatabase:
        size = main.length + (0 if wal is None else wal.length)
        if size > self._max_bytes:
            raise ViewUnreadableError(
                f"{source.relative_path} is {size / (1 << 20):,.0f} MiB, more than the"
                f" {self._max_bytes >> 20:,} MiB the views may hold (IOS_BACKUP_VIEWS__MEMORY_MIB)."
            )
        # Written, not reserved: reserving (which zeroes every page) and then copying through a mapping
        # (a fault per page) cost more than the decryption.
        ram = (
            None
            if self._ram_files is None or main.length == 0
            else self._ram_files.allocate(main.length, reserve=False)
        )
        loaded = None if ram is None else await self._load_into(ram, source, main, wal)
        if loaded is not None:
            return loaded
        main_bytes = await plaintext_of(main)
        try:
            wal_bytes = None if wal is None else await plaintext_of(wal)
        except BaseException:
            zeroed(main_bytes)
            raise
        load = partial(loaded_database, source, main_bytes, wal_bytes, self._read_seconds)
        return await asyncio.to_thread(load)

    async def _load_into(
        self, ram: RamFile, source: EntryRef, main: FileContent, wal: FileContent | None
    ) -> SqliteAppDatabase | None:
        """None when the RAM folder had no room for it (the RAM file is gone then)."""
        try:
            if ram.file is None:
                raise ValueError("a RAM file was closed before it was filled")
            try:
                await _write(main, ram.file)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                ram.close()
                return None
            mapping = mmap.mmap(ram.file.fileno(), main.length)  # its pages are written: no fault can fail
            try:
                wal_bytes = None if wal is None else await plaintext_of(wal)
            except BaseException:
                mapping.close()
                raise
        except BaseException:
            ram.close()
            raise
        load = partial(loaded_ram_database, source, ram, mapping, wal_bytes, self._read_seconds)
        return await asyncio.to_thread(load)

    def _make_room(self, size: int) -> None:
        held = sum(database.size for database in self._held.values())
        while self._held and held + size > self._max_bytes:
            _, dropped = self._held.popitem(last=False)
            held -= dropped.size


async def _contents(opened: OpenBackup, source: EntryRef) -> tuple[FileContent, FileContent | None]:
    """The database's content and its `-wal`'s (None without one, as SQLite reads a database alone)."""
    log = EntryRef(source.domain, source.relative_path + "-wal")
    ids = await opened.locate([source, log])
    if source not in ids:
        raise ViewNotFoundError(source.domain, source.relative_path)
    try:
        main = await opened.content(ids[source])
    except EntryNotFoundError:
        raise ViewNotFoundError(source.domain, source.relative_path) from None
    wal = None
    if log in ids:
        with suppress(EntryNotFoundError):  # listed without a payload: read as SQLite reads a lone database
            wal = await opened.content(ids[log])
    return main, wal


async def plaintext_of(content: FileContent) -> bytearray:
    data = bytearray(content.length)
    try:
        await _fill(content, data)
    except BaseException:
        zeroed(data)
        raise
    return data


async def _write(content: FileContent, file: io.FileIO) -> None:
    async for chunk in content.read(ByteRange(0, content.length)):
        view = memoryview(chunk)
        while view:
            view = view[file.write(view) :]


async def _fill(content: FileContent, data: bytearray) -> None:
    offset = 0
    async for chunk in content.read(ByteRange(0, content.length)):
        data[offset : offset + len(chunk)] = chunk
        offset += len(chunk)
