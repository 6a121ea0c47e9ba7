"""The Notes store of a phone: `AppDomainGroup-group.com.apple.notes` `NoteStore.sqlite`.

Core Data puts accounts, folders and notes in one table, `ZICCLOUDSYNCINGOBJECT`, told apart by `Z_ENT`
(named in `Z_PRIMARYKEY`); a note's body is in `ZICNOTEDATA.ZDATA` (see `note_body`). Columns as iLEAPP's
notes parser and apple_cloud_notes_parser read each version: a note's title is `ZTITLE1`, its folder's
`ZTITLE2`; the note's creation time is `ZCREATIONDATE1` on iOS 14 and `ZCREATIONDATE3` from iOS 15; the
versions are told apart by `ZLASTOPENEDDATE` (14), `ZACCOUNT5` (15), `ZACCOUNT6` (16), `ZGENERATION` and
`ZACCOUNT7` (17) and `ZUNAPPLIEDENCRYPTEDRECORDDATA` (18). A password-protected note's body is encrypted:
random bytes here, with the crypto columns filled.
"""

import random
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from ios_backup_api.adapters.backup_writer.apps.note_body import note_body
from ios_backup_api.adapters.backup_writer.apps.sqlite_files import database_files
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry, SyntheticFile

DOMAIN = "AppDomainGroup-group.com.apple.notes"
DATABASE = "NoteStore.sqlite"
SUPPORTED_IOS = range(14, 19)
_APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class GeneratedNote:
    """A note as the generator writes it (what the tests know it wrote)."""

    pk: int
    text: str | None
    """The body; None for a note without a ZICNOTEDATA row."""
    folder: int | None
    created: float | None
    modified: float | None
    locked: bool = False
    marked_for_deletion: bool = False
    title: str | None = None
    snippet: str | None = None


def notes_entries(ios: int, *, wal: bool, seed: int = 0) -> list[SyntheticEntry]:
    """NoteStore.sqlite, and its `-wal` holding the newest note and an edit of an older one when `wal`."""
    if ios not in SUPPORTED_IOS:
        raise ValueError(f"Notes stores are written for iOS {SUPPORTED_IOS.start}-{SUPPORTED_IOS.stop - 1}")
    rng = random.Random(seed)
    older, newest, edited = _notes(seed)

    def create(connection: sqlite3.Connection) -> None:
        _schema(connection, ios)
        _containers(connection, ios)
        for note in older:
            _insert(connection, ios, note, rng)

    def newer(connection: sqlite3.Connection) -> None:
        for note in newest:
            _insert(connection, ios, note, rng)
        _edit(connection, edited)
        connection.execute(
            "UPDATE Z_PRIMARYKEY SET Z_MAX = (SELECT max(Z_PK) FROM ZICCLOUDSYNCINGOBJECT) "
            "WHERE Z_NAME = 'ICNote'"
        )

    def everything(connection: sqlite3.Connection) -> None:
        create(connection)
        newer(connection)

    main, wal_bytes = database_files(create, newer) if wal else database_files(everything)
    entries: list[SyntheticEntry] = [SyntheticFile(DOMAIN, DATABASE, main)]
    if wal_bytes is not None:
        entries.append(SyntheticFile(DOMAIN, DATABASE + "-wal", wal_bytes))
    return entries


def generated_notes(seed: int = 0) -> list[GeneratedNote]:
    """The notes `notes_entries` writes for `seed`, after its edit, in Z_PK order."""
    older, newest, edited = _notes(seed)
    notes = {note.pk: note for note in older + newest}
    notes[edited.pk] = edited
    return [notes[pk] for pk in sorted(notes)]


ENTITIES = {"ICAccount": 13, "ICFolder": 14, "ICNote": 11, "ICAttachment": 5, "ICNoteData": 18}
"""Z_ENT of each entity (they differ between versions on phones; the reader looks them up)."""
_ACCOUNT = 1
NOTES_FOLDER, TRAVEL_FOLDER, DELETED_FOLDER = 2, 3, 4
_FOLDERS = {
    NOTES_FOLDER: ("Notes", 0),
    TRAVEL_FOLDER: ("Travel ✈️", 0),
    DELETED_FOLDER: ("Recently Deleted", 1),
}


def _seconds(moment: datetime) -> float:
    return (moment - _APPLE_EPOCH).total_seconds()


def _notes(seed: int) -> tuple[list[GeneratedNote], list[GeneratedNote], GeneratedNote]:
    rng = random.Random(seed)
    start = _seconds(datetime(2024, 2, 1, 8, tzinfo=UTC)) + rng.randrange(86400)

    def at(days: float) -> float:
        return round(start + days * 86400 + rng.randrange(1000) / 1000, 3)

    def note(
        pk: int,
        text: str | None,
        folder: int | None,
        created: float | None,
        modified: float | None,
        **kw: object,
    ) -> GeneratedNote:
        title, _, rest = (text or "").partition("\n")
        values: dict[str, object] = {
            "title": title or None,
            "snippet": rest.split("\n", 1)[0][:100] or None,
        }
        values.update(kw)
        return GeneratedNote(pk, text, folder, created, modified, **values)  # type: ignore[arg-type]

    tie = at(6)
    long_text = "Trip journal\n" + "\n".join(
        f"Day {day}: walked {rng.randrange(5, 30)} km, ate {rng.choice(['soba', 'ramen', 'onigiri'])}."
        for day in range(1, 700)
    )
    older = [
        note(10, "Shopping list\nMilk, eggs, bread\nCoffee", NOTES_FOLDER, at(0), at(1)),
        note(11, "Café ☕ résumé\nΣίσυφος — 日本語のメモ 🎉\nStraße", TRAVEL_FOLDER, at(0.5), at(2)),
        note(12, None, NOTES_FOLDER, at(1), at(3), locked=True, title="Bank codes", snippet=None),
        note(13, "Old idea\nthrown away", DELETED_FOLDER, at(1.5), at(4)),
        note(14, "Purged\nmarked for deletion", NOTES_FOLDER, at(2), at(5), marked_for_deletion=True),
        note(15, "", NOTES_FOLDER, at(2.5), tie),
        note(16, None, NOTES_FOLDER, at(3), tie, title="A note without a body", snippet=None),
        note(17, long_text, TRAVEL_FOLDER, at(3.5), at(7)),
        note(18, "Loose note\nin no folder", None, None, at(8)),
        note(19, "Undated\nno modification date", NOTES_FOLDER, at(4), None),
    ]
    newest = [note(20, "Newest note\nwritten after the last checkpoint", TRAVEL_FOLDER, at(9), at(9.5))]
    first = older[0]
    edited = note(
        first.pk, "Shopping list\nMilk, eggs, bread\nCoffee\nOat milk", first.folder, first.created, at(10)
    )
    return older, newest, edited


def _schema(connection: sqlite3.Connection, ios: int) -> None:
    by_version = {
        14: "ZACCOUNT4 INTEGER, ZLASTOPENEDDATE TIMESTAMP",
        15: "ZACCOUNT5 INTEGER, ZCREATIONDATE3 TIMESTAMP",
        16: "ZACCOUNT6 INTEGER",
        17: "ZACCOUNT7 INTEGER, ZGENERATION VARCHAR",
        18: "ZUNAPPLIEDENCRYPTEDRECORDDATA BLOB",
    }
    added = ", ".join(columns for version, columns in by_version.items() if version <= ios)
    statements = [
        "CREATE TABLE Z_PRIMARYKEY "
        "(Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER)",
        "CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB)",
        f"""CREATE TABLE ZICCLOUDSYNCINGOBJECT (
            Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZMARKEDFORDELETION INTEGER,
            ZNEEDSINITIALFETCHFROMCLOUD INTEGER, ZISPASSWORDPROTECTED INTEGER, ZCRYPTOITERATIONCOUNT INTEGER,
            ZISPINNED INTEGER, ZFOLDERTYPE INTEGER, ZACCOUNT2 INTEGER, ZACCOUNT3 INTEGER, ZFOLDER INTEGER,
            ZNOTEDATA INTEGER, ZPARENT INTEGER, ZCREATIONDATE TIMESTAMP, ZCREATIONDATE1 TIMESTAMP,
            ZMODIFICATIONDATE TIMESTAMP, ZMODIFICATIONDATE1 TIMESTAMP, ZIDENTIFIER VARCHAR, ZNAME VARCHAR,
            ZPASSWORDHINT VARCHAR, ZSNIPPET VARCHAR, ZTITLE VARCHAR, ZTITLE1 VARCHAR, ZTITLE2 VARCHAR,
            ZCRYPTOINITIALIZATIONVECTOR BLOB, ZCRYPTOSALT BLOB, ZCRYPTOTAG BLOB, ZCRYPTOWRAPPEDKEY BLOB,
            ZSERVERRECORDDATA BLOB, {added}
        )""",
        """CREATE TABLE ZICNOTEDATA (
            Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZNOTE INTEGER, ZDATA BLOB,
            ZCRYPTOINITIALIZATIONVECTOR BLOB, ZCRYPTOTAG BLOB
        )""",
        "CREATE INDEX ZICCLOUDSYNCINGOBJECT_ZFOLDER_INDEX ON ZICCLOUDSYNCINGOBJECT (ZFOLDER)",
        "CREATE INDEX ZICNOTEDATA_ZNOTE_INDEX ON ZICNOTEDATA (ZNOTE)",
    ]
    for statement in statements:
        connection.execute(statement)
    connection.executemany(
        "INSERT INTO Z_PRIMARYKEY VALUES (?, ?, ?, 0)",
        [(entity, name, 0) for name, entity in ENTITIES.items()],
    )
    connection.execute("INSERT INTO Z_METADATA VALUES (1, ?, NULL)", (str(uuid.UUID(int=ios)).upper(),))


def _account_column(ios: int) -> str:
    return "ZACCOUNT7" if ios >= 17 else "ZACCOUNT3"


def _creation_column(ios: int) -> str:
    return "ZCREATIONDATE3" if ios >= 15 else "ZCREATIONDATE1"


def _containers(connection: sqlite3.Connection, ios: int) -> None:
    connection.execute(
        "INSERT INTO ZICCLOUDSYNCINGOBJECT (Z_PK, Z_ENT, Z_OPT, ZNAME, ZIDENTIFIER) VALUES (?, ?, 1, ?, ?)",
        (_ACCOUNT, ENTITIES["ICAccount"], "iCloud", "LocalAccount"),
    )
    for pk, (title, kind) in _FOLDERS.items():
        connection.execute(
            "INSERT INTO ZICCLOUDSYNCINGOBJECT "
            "(Z_PK, Z_ENT, Z_OPT, ZTITLE2, ZFOLDERTYPE, ZACCOUNT3, ZIDENTIFIER) "
            "VALUES (?, ?, 1, ?, ?, ?, ?)",
            (pk, ENTITIES["ICFolder"], title, kind, _ACCOUNT, str(uuid.UUID(int=pk)).upper()),
        )
    connection.execute("UPDATE Z_PRIMARYKEY SET Z_MAX = ? WHERE Z_NAME = 'ICFolder'", (max(_FOLDERS),))


def _insert(connection: sqlite3.Connection, ios: int, note: GeneratedNote, rng: random.Random) -> None:
    data_pk = None
    if note.locked or note.text is not None:
        data_pk = note.pk + 100
        data = rng.randbytes(64 + rng.randrange(64)) if note.locked else note_body(note.text or "")
        crypto = (rng.randbytes(16), rng.randbytes(16)) if note.locked else (None, None)
        connection.execute(
            "INSERT INTO ZICNOTEDATA VALUES (?, ?, 1, ?, ?, ?, ?)",
            (data_pk, ENTITIES["ICNoteData"], note.pk, data, *crypto),
        )
    crypto_columns = (
        (20000, rng.randbytes(12), rng.randbytes(16), rng.randbytes(16), rng.randbytes(24), "the usual")
        if note.locked
        else (None, None, None, None, None, None)
    )
    connection.execute(
        f"""INSERT INTO ZICCLOUDSYNCINGOBJECT (Z_PK, Z_ENT, Z_OPT, ZMARKEDFORDELETION, ZISPASSWORDPROTECTED,
            ZISPINNED, ZFOLDER, ZNOTEDATA, {_account_column(ios)}, {_creation_column(ios)},
            ZMODIFICATIONDATE1,
            ZIDENTIFIER, ZTITLE1, ZSNIPPET, ZCRYPTOITERATIONCOUNT, ZCRYPTOINITIALIZATIONVECTOR, ZCRYPTOSALT,
            ZCRYPTOTAG, ZCRYPTOWRAPPEDKEY, ZPASSWORDHINT)
        VALUES (?, ?, 1, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",  # noqa: S608 - names are ours
        (
            note.pk,
            ENTITIES["ICNote"],
            int(note.marked_for_deletion),
            int(note.locked),
            note.folder,
            data_pk,
            _ACCOUNT,
            note.created,
            note.modified,
            str(uuid.UUID(int=note.pk)).upper(),
            note.title,
            note.snippet,
            *crypto_columns,
        ),
    )


def _edit(connection: sqlite3.Connection, note: GeneratedNote) -> None:
    connection.execute(
        "UPDATE ZICNOTEDATA SET ZDATA = ?, Z_OPT = Z_OPT + 1 WHERE ZNOTE = ?",
        (note_body(note.text or ""), note.pk),
    )
    connection.execute(
        "UPDATE ZICCLOUDSYNCINGOBJECT SET ZMODIFICATIONDATE1 = ?, ZSNIPPET = ?, Z_OPT = Z_OPT + 1 "
        "WHERE Z_PK = ?",
        (note.modified, note.snippet, note.pk),
    )
