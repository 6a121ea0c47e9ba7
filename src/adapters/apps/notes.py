"""The Notes view: the ICNote rows of `NoteStore.sqlite`'s `ZICCLOUDSYNCINGOBJECT`, their folder's title and
their body, the gzip'd protobuf in `ZICNOTEDATA.ZDATA` whose text is at fields 2 → 3 → 2."""

import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.adapters.apps.protobuf import ProtobufError, first_at
from ios_backup_api.adapters.apps.sqlite_values import (
    FLAG_SQL,
    NEWEST_FIRST,
    flag,
    newest_first,
    register_functions,
    text,
)
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import from_apple_seconds
from ios_backup_api.domain.views.pages import ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Note

TABLE = "ZICCLOUDSYNCINGOBJECT"
NOTE_TEXT_PATH = (2, 3, 2)
"""NoteStoreProto.document → Document.note → Note.note_text."""
MAX_BODY_BYTES = 16 << 20
"""A note body inflating beyond this is not read (its text is None): a gzip bomb costs no more memory."""
_CREATED = ("ZCREATIONDATE3", "ZCREATIONDATE1")
"""Where the note's creation time is, newest schema first (iOS 15 moved it to ZCREATIONDATE3)."""


class SqliteNotesReader:
    """Newest `modified_at` first (notes without one last), ties by id. Notes marked for deletion (being
    purged) are left out; those in "Recently Deleted" are shown, in that folder. A note whose body is
    missing, encrypted or unreadable has `text` None; the page is not failed for it."""

    def __init__(self, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self._max_body_bytes = max_body_bytes

    async def notes(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Note]:
        db = sqlite_database(database)
        return await db.read(lambda connection: self._page(db, connection, query))

    def _page(
        self, db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery
    ) -> ViewPage[Note]:
        schema = _schema(db, connection)
        register_functions(connection)
        ordered: list[int] = db.kept(("notes", "ordered"), lambda: _ordered_ids(connection, schema))
        if query.q is None:
            ids = ordered
        else:
            needle = query.q.casefold()
            searchable: dict[int, str] = db.kept(
                ("notes", "searchable"), lambda: self._searchable(connection, schema, ordered)
            )
            ids = db.kept(("notes", "q", needle), lambda: [pk for pk in ordered if needle in searchable[pk]])
        chosen = ids[query.offset : query.offset + query.limit]
        return ViewPage(self._notes(connection, schema, chosen), len(ids), query.limit, query.offset)

    def _searchable(
        self, connection: sqlite3.Connection, schema: "_Schema", ids: list[int]
    ) -> dict[int, str]:
        """Title and text, case-folded, of every note: `q` looks in both."""
        return {
            note.id: f"{(note.title or '').casefold()}\n{(note.text or '').casefold()}"
            for note in self._notes(connection, schema, ids)
        }

    def _notes(self, connection: sqlite3.Connection, schema: "_Schema", ids: list[int]) -> list[Note]:
        found: dict[int, Note] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = schema.rows_sql(", ".join("?" * len(chunk)))
            for row in connection.execute(sql, chunk):
                note = _note(row, self._body_text)
                found[note.id] = note
        return [found[pk] for pk in ids]

    def _body_text(self, data: object) -> str | None:
        if not isinstance(data, bytes):
            return None
        inflater = zlib.decompressobj(wbits=47)  # gzip or zlib, told by the header
        try:
            body = inflater.decompress(data, self._max_body_bytes)
            if inflater.unconsumed_tail or not inflater.eof:
                return None  # larger than the bound, or truncated
            found = first_at(body, NOTE_TEXT_PATH)
        except (zlib.error, ProtobufError):
            return None
        return None if found is None else found.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class _Schema:
    note_entity: int
    columns: frozenset[str]
    body_join: str | None
    """How a note finds its ZICNOTEDATA row; None when there is no body to read."""

    def column(self, name: str, alias: str = "n") -> str:
        return f"{alias}.{name}" if name in self.columns else "NULL"

    def text_column(self, name: str, alias: str = "n") -> str:
        return f"CAST({alias}.{name} AS BLOB)" if name in self.columns else "NULL"

    @property
    def created(self) -> str:
        present = [f"n.{name}" for name in _CREATED if name in self.columns]
        return f"COALESCE({', '.join(present)}, NULL)" if present else "NULL"

    @property
    def kept_notes(self) -> str:
        deleted = self.column("ZMARKEDFORDELETION")
        return f"n.Z_ENT = {self.note_entity} AND NOT {FLAG_SQL.format(deleted)}"

    def rows_sql(self, marks: str) -> str:
        folder = (
            f"(SELECT CAST(f.ZTITLE2 AS BLOB) FROM {TABLE} f WHERE f.Z_PK = n.ZFOLDER)"  # noqa: S608
            if {"ZFOLDER", "ZTITLE2"} <= self.columns
            else "NULL"
        )
        body = (
            f"(SELECT d.ZDATA FROM ZICNOTEDATA d WHERE {self.body_join} LIMIT 1)"  # noqa: S608
            if self.body_join
            else "NULL"
        )
        return (
            f"SELECT n.Z_PK, {self.text_column('ZTITLE1')}, {self.text_column('ZSNIPPET')}, {folder}, "  # noqa: S608
            f"{self.created}, {self.column('ZMODIFICATIONDATE1')}, {self.column('ZISPASSWORDPROTECTED')}, "
            f"{body} FROM {TABLE} n WHERE n.Z_PK IN ({marks})"
        )


def _schema(db: SqliteAppDatabase, connection: sqlite3.Connection) -> _Schema:
    columns = db.columns(connection, TABLE)
    if not {"Z_PK", "Z_ENT"} <= columns:
        raise ViewUnreadableError(f"NoteStore.sqlite has no {TABLE} table with Z_PK and Z_ENT columns.")
    if not {"Z_ENT", "Z_NAME"} <= db.columns(connection, "Z_PRIMARYKEY"):
        raise ViewUnreadableError("NoteStore.sqlite has no Z_PRIMARYKEY table naming its entities.")
    entity = connection.execute("SELECT Z_ENT FROM Z_PRIMARYKEY WHERE Z_NAME = 'ICNote'").fetchone()
    if entity is None or not isinstance(entity[0], int):
        raise ViewUnreadableError("NoteStore.sqlite's Z_PRIMARYKEY names no ICNote entity.")
    data_columns = db.columns(connection, "ZICNOTEDATA")
    join = None
    if "ZDATA" in data_columns:
        if "ZNOTEDATA" in columns and "Z_PK" in data_columns:
            join = "d.Z_PK = n.ZNOTEDATA"
        elif "ZNOTE" in data_columns:
            join = "d.ZNOTE = n.Z_PK"
    return _Schema(entity[0], columns, join)


def _ordered_ids(connection: sqlite3.Connection, schema: _Schema) -> list[int]:
    modified = schema.column("ZMODIFICATIONDATE1")
    sql = (
        f"SELECT n.Z_PK, {modified} FROM {TABLE} n WHERE {schema.kept_notes} "  # noqa: S608 - our names
        + NEWEST_FIRST.format(modified)
    )
    return newest_first(connection.execute(sql).fetchall())


def _note(row: tuple[object, ...], body_text: Callable[[object], str | None]) -> Note:
    pk, title, snippet, folder, created, modified, protected, data = row
    locked = flag(protected)
    return Note(
        id=int(pk),  # type: ignore[call-overload]
        title=text(title),
        snippet=text(snippet),
        folder=text(folder),
        created_at=from_apple_seconds(created) if isinstance(created, int | float) else None,
        modified_at=from_apple_seconds(modified) if isinstance(modified, int | float) else None,
        locked=locked,
        text=None if locked else body_text(data),
    )
