"""Previews of a file's content from the standard library: UTF-8 text, property lists by plistlib, SQLite
databases in memory by the views' loader (never a temporary file)."""

import plistlib
import sqlite3

from ios_backup_api.adapters.apps.databases import plaintext_of
from ios_backup_api.adapters.apps.loading import loaded_database, zeroed
from ios_backup_api.domain.errors import EntryNotFoundError, ViewUnreadableError
from ios_backup_api.domain.manifest import ByteRange, FileId
from ios_backup_api.domain.ports.vault import FileContent, OpenBackup
from ios_backup_api.domain.previews import (
    ContentPreview,
    DatabasePreview,
    NoPreview,
    TablePreview,
    TextPreview,
)
from ios_backup_api.domain.views.pages import EntryRef

_SQLITE = b"SQLite format 3\x00"
_BINARY_PLIST = b"bplist00"
_SHOWN_BYTES = 16
"""Of a blob, its first bytes in hex."""


class StdlibContentPreviews:
    """`text_bytes` bounds the text shown and the property lists decoded; `database_bytes` the databases
    read (whole, in memory); `tables` and `rows` what of a database is shown; `read_seconds` its queries."""

    def __init__(
        self,
        text_bytes: int = 256 << 10,
        database_bytes: int = 64 << 20,
        tables: int = 50,
        rows: int = 20,
        read_seconds: float = 10.0,
    ) -> None:
        self._text_bytes = text_bytes
        self._database_bytes = database_bytes
        self._tables = tables
        self._rows = rows
        self._read_seconds = read_seconds

    async def preview(self, opened: OpenBackup, file_id: FileId) -> ContentPreview:
        try:
            content = await opened.content(file_id)
        except EntryNotFoundError:
            return NoPreview("The backup holds no content for this file.")
        head = await _read(content, min(content.length, self._text_bytes))
        if head.startswith(_SQLITE):
            return await self._database(content)
        if head.startswith(_BINARY_PLIST):
            return self._plist(content, head)
        return _text(head, truncated=content.length > len(head))

    async def _database(self, content: FileContent) -> ContentPreview:
        if content.length > self._database_bytes:
            return _too_large(content, self._database_bytes, "database")
        data = await plaintext_of(content)
        try:
            database = loaded_database(EntryRef("", content.relative_path), data, None, self._read_seconds)
        except ViewUnreadableError as error:
            return NoPreview(str(error))
        try:
            return await database.read(self._tables_of)
        except ViewUnreadableError as error:
            return NoPreview(str(error))
        finally:
            database.close()

    def _tables_of(self, connection: sqlite3.Connection) -> DatabasePreview:
        # Tables only: a view or a virtual table could cost anything to read.
        sql = (
            "SELECT name FROM sqlite_master"
            " WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        )
        names = [str(name) for (name,) in connection.execute(sql)]
        tables = []
        for name in names[: self._tables]:
            quoted = '"' + name.replace('"', '""') + '"'
            cursor = connection.execute(f"SELECT * FROM {quoted} LIMIT ?", (self._rows,))  # noqa: S608
            columns = [str(column[0]) for column in cursor.description]
            rows = [[_shown(value) for value in row] for row in cursor]
            (count,) = connection.execute(f"SELECT count(*) FROM {quoted}").fetchone()  # noqa: S608
            tables.append(TablePreview(name, columns, rows, int(count)))
        return DatabasePreview(tables, len(names))

    def _plist(self, content: FileContent, head: bytearray) -> ContentPreview:
        if content.length > len(head):
            return _too_large(content, self._text_bytes, "property list")
        try:
            decoded = plistlib.loads(bytes(head), fmt=plistlib.FMT_BINARY)
            text = plistlib.dumps(decoded, fmt=plistlib.FMT_XML, sort_keys=False).decode()
        except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError, RecursionError):
            return NoPreview("This binary property list is damaged; download it to look at its bytes.")
        finally:
            zeroed(head)
        shown = text[: self._text_bytes]
        return TextPreview(shown, len(shown) < len(text), "a binary property list")


async def _read(content: FileContent, length: int) -> bytearray:
    data = bytearray()
    async for chunk in content.read(ByteRange(0, length)):
        data += chunk
    return data


def _text(head: bytearray, truncated: bool) -> ContentPreview:
    # A character the cut split in two is left out (up to 3 bytes of UTF-8), not called binary.
    for cut in range(4 if truncated else 1):
        try:
            text = bytes(head[: len(head) - cut]).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return TextPreview(text, truncated)
        break
    return NoPreview("This file is neither text, a property list nor an SQLite database.")


def _too_large(content: FileContent, bound: int, what: str) -> NoPreview:
    return NoPreview(
        f"This {what} is {content.length:,} bytes, more than the {bound:,} a preview reads; download it."
    )


def _shown(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        more = "…" if len(value) > _SHOWN_BYTES else ""
        return f"{len(value):,} bytes: {value[:_SHOWN_BYTES].hex(' ')}{more}"
    return str(value)
