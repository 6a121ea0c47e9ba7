"""The Notes view: the ICNote rows of `NoteStore.sqlite`'s `ZICCLOUDSYNCINGOBJECT`, their folder's title and
their body, the gzip'd protobuf in `ZICNOTEDATA.ZDATA` whose text is at fields 2 → 3 → 2."""

import sqlite3
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.paging import HEAD, SqlOrdered, ordered_page
from ios_backup_api.adapters.apps.protobuf import ProtobufError, first_at
from ios_backup_api.adapters.apps.sql_times import seconds_key
from ios_backup_api.adapters.apps.sql_values import flag, flag_sql, folded, marks, text
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

    def __init__(self, max_body_bytes: int = MAX_BODY_BYTES, head: int = HEAD) -> None:
        self._max_body_bytes, self._head = max_body_bytes, head

    async def notes(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Note]:
        return await ordered_page(
            database,
            query,
            ("notes",),
            lambda db, connection: _Notes(self.body_text, db, connection),
            self._head,
        )

    def body_text(self, data: object) -> str | None:
        """A note body's text; None when it is missing, unreadable or inflates beyond the bound."""
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
        return f"n.Z_ENT = {self.note_entity} AND NOT {flag_sql(deleted)}"

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


class _Notes(SqlOrdered):
    """Newest `modified_at` first; `q` looks in the title and the text."""

    def __init__(
        self, body_text: Callable[[object], str | None], db: SqliteAppDatabase, connection: sqlite3.Connection
    ) -> None:
        self.body_text, self.schema = body_text, _schema(db, connection)
        stored = self.schema.column("ZMODIFICATIONDATE1")
        key = seconds_key(stored)
        super().__init__(
            connection, f"{TABLE} n", key, [self.schema.kept_notes], [], id_column="n.Z_PK", stored=stored
        )

    def folded_texts(self) -> dict[int, tuple[str, ...]]:
        every = self.ordered(-1)
        return {note.id: folded(note.title, note.text) for note in self.rows(every)}

    def rows(self, ids: Sequence[int]) -> list[Note]:
        found: dict[int, Note] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in self.connection.execute(self.schema.rows_sql(marks(len(chunk))), chunk):
                note = _note(row, self.body_text)
                found[note.id] = note
        return [found[pk] for pk in ids]


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
