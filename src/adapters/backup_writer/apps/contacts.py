"""AddressBook.sqlitedb as iOS 14 to 18 leave it in a backup (`HomeDomain`, `Library/AddressBook/`).

The tables are the AddressBook framework's own: `ABPerson` (one card), `ABMultiValue` (its phones,
emails, addresses, …: `property` 3 is a phone, 4 an email, 5 an address, 22 a URL), `ABMultiValueLabel`
(the labels, Apple's own as `_$!<Mobile>!$_`, a user's as typed) and the tables beside them. The
columns of `ABPerson` grew with the releases (the framework's `CREATE TABLE` strings): iOS 15 adds the
image columns, 16 the wallpaper (poster) ones, 17 `SensitiveContentConfiguration` and `WallpaperURI`.
`CreationDate`/`ModificationDate` are seconds since 2001 in INTEGER columns (a fraction stays a REAL).
"""

import random
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from ios_backup_api.adapters.backup_writer.apps.database_entries import database_entries
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry

DOMAIN = "HomeDomain"
FOLDER = "Library/AddressBook"
PATH = f"{FOLDER}/AddressBook.sqlitedb"
PHONE, EMAIL, ADDRESS, URL = 3, 4, 5, 22
IOS_VERSIONS = (14, 15, 16, 17, 18)

_PERSON_14 = (
    "ROWID INTEGER PRIMARY KEY AUTOINCREMENT, First TEXT, Last TEXT, Middle TEXT, FirstPhonetic TEXT, "
    "MiddlePhonetic TEXT, LastPhonetic TEXT, Organization TEXT, Department TEXT, Note TEXT, Kind INTEGER, "
    "Birthday TEXT, JobTitle TEXT, Nickname TEXT, Prefix TEXT, Suffix TEXT, FirstSort TEXT, LastSort TEXT, "
    "CreationDate INTEGER, ModificationDate INTEGER, CompositeNameFallback TEXT, ExternalIdentifier TEXT, "
    "ExternalModificationTag TEXT, ExternalUUID TEXT, StoreID INTEGER, DisplayName TEXT, "
    "ExternalRepresentation BLOB, FirstSortSection TEXT, LastSortSection TEXT, "
    "FirstSortLanguageIndex INTEGER DEFAULT 2147483647, LastSortLanguageIndex INTEGER DEFAULT 2147483647, "
    "PersonLink INTEGER DEFAULT -1, ImageURI TEXT, IsPreferredName INTEGER DEFAULT 1, "
    "guid TEXT NOT NULL DEFAULT (ab_generate_guid()), PhonemeData TEXT, AlternateBirthday TEXT, "
    "MapsData TEXT, FirstPronunciation TEXT, MiddlePronunciation TEXT, LastPronunciation TEXT, "
    "OrganizationPhonetic TEXT, OrganizationPronunciation TEXT, PreviousFamilyName TEXT, "
    "PreferredLikenessSource TEXT, PreferredPersonaIdentifier TEXT, PreferredChannel TEXT, "
    "DowntimeWhitelist TEXT"
)
_PERSON_ADDED = {
    15: ", ImageType TEXT, ImageHash BLOB, MemojiMetadata BLOB",
    16: ", Wallpaper BLOB, DisplayFlags INTEGER, WatchWallpaperImageData BLOB, WallpaperMetadata BLOB, "
    "ImageBackgroundColorsData BLOB",
    17: ", SensitiveContentConfiguration BLOB, WallpaperURI TEXT",
}
_OTHER_TABLES = (
    "CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key))",
    "CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER, "
    "identifier INTEGER, label INTEGER, value TEXT, guid TEXT NOT NULL DEFAULT (ab_generate_guid()), "
    "UNIQUE(guid))",
    "CREATE TABLE ABMultiValueEntry (parent_id INTEGER, key INTEGER, value TEXT, UNIQUE(parent_id, key))",
    "CREATE TABLE ABMultiValueEntryKey (value TEXT, UNIQUE(value))",
    "CREATE TABLE ABMultiValueLabel (value TEXT, UNIQUE(value))",
    "CREATE TABLE ABGroup (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, Name TEXT, ExternalIdentifier TEXT, "
    "StoreID INTEGER, ExternalModificationTag TEXT, ExternalRepresentation BLOB, ExternalUUID TEXT, "
    "guid TEXT NOT NULL DEFAULT (ab_generate_guid()), UNIQUE(guid))",
    "CREATE TABLE ABGroupMembers (UID INTEGER PRIMARY KEY, group_id INTEGER, member_type INTEGER, "
    "member_id INTEGER, UNIQUE(group_id, member_type, member_id))",
    "CREATE TABLE ABStore (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, Name TEXT, ExternalIdentifier TEXT, "
    "Type INTEGER, ConstraintsPath TEXT, ExternalModificationTag TEXT, ExternalSyncTag TEXT, "
    "StoreInternalIdentifier TEXT, AccountID INTEGER DEFAULT -1, Enabled INTEGER DEFAULT 1, SyncData BLOB, "
    "MeIdentifier INTEGER DEFAULT -1, Capabilities INTEGER DEFAULT 0, "
    "guid TEXT NOT NULL DEFAULT (ab_generate_guid()), LastSyncDate TEXT, ProviderIdentifier TEXT, "
    "ProviderMetadata BLOB, UNIQUE(StoreInternalIdentifier), UNIQUE(guid))",
    "CREATE INDEX ABMultiValueRecordIDIndex ON ABMultiValue(record_id)",
)

_FIRST = ("Anna", "Jonas", "Zoë", "Léa", "Mateo", "Ingrid", "Søren", "Aylin", "Kenji", "Olúwadámilọ́lá")
_LAST = ("Müller", "Schmidt", "García", "Nakamura", "Øvergaard", "Yılmaz", "O'Brien", "Ng", "Dubois")
_ORGS = ("Stadtwerke", "Ärztehaus am Park", "ACME Corp.", "株式会社テスト", None, None, None)
_PHONE_LABELS = ("_$!<Mobile>!$_", "iPhone", "_$!<Home>!$_", "_$!<Work>!$_", "_$!<Main>!$_", None)
_EMAIL_LABELS = ("_$!<Home>!$_", "_$!<Work>!$_", "_$!<Other>!$_", "iCloud", None)
_APRIL_2022 = 672_000_000


@dataclass
class _Card:
    first: str | None = None
    last: str | None = None
    organization: str | None = None
    kind: int = 0
    """0 a person's card, 1 a company's."""
    created: float | None = _APRIL_2022
    modified: float | None = _APRIL_2022
    middle: str | None = None
    note: str | None = None
    values: list[tuple[int, str | None, str]] = field(default_factory=list)
    """(property, label as stored, value)."""


def contacts_entries(ios: int, *, wal: bool, seed: int = 0, scale: int = 0) -> list[SyntheticEntry]:
    """The Contacts database of iOS `ios`: a few dozen cards covering every field (`scale` more random
    ones for a benchmark); with `wal`, the newest changes (new cards, an edited and a deleted one) are in
    `AddressBook.sqlitedb-wal` only. Deterministic given `seed`."""
    if ios not in IOS_VERSIONS:
        raise ValueError(f"no AddressBook schema for iOS {ios}")
    rng = random.Random(seed)
    cards = _fixed_cards() + [_random_card(rng) for _ in range(12 + scale)]
    writer = _Writer(ios, rng)
    return database_entries(
        DOMAIN,
        PATH,
        lambda connection: writer.create(connection, cards),
        lambda connection: writer.change(connection, _newest_cards(rng)),
        wal=wal,
    )


def person_table(ios: int) -> str:
    columns = _PERSON_14 + "".join(added for since, added in _PERSON_ADDED.items() if ios >= since)
    return f"CREATE TABLE ABPerson ({columns}, UNIQUE(guid))"


def _fixed_cards() -> list[_Card]:
    """Cards that every database has: each display-name rule, labels of every kind, odd names."""
    return [
        _Card(
            "Zoë",
            "Ærøskøbing",
            values=[
                (PHONE, "_$!<Mobile>!$_", "+45 20 12 34 56"),
                (PHONE, "iPhone", "+45 31 00 00 01"),
                (EMAIL, "_$!<Home>!$_", "zoe@example.dk"),
            ],
        ),
        _Card(
            "Jürgen",
            "Straße",
            created=_APRIL_2022 + 0.25,
            modified=_APRIL_2022 + 86_400.5,
            values=[(PHONE, "_$!<HomeFAX>!$_", "+49 30 1234567")],
        ),
        _Card(
            organization="Bäckerei Müller",
            kind=1,
            values=[(PHONE, "_$!<Work>!$_", "+49 89 555 0100"), (PHONE, "Laden", "+49 89 555 0101")],
        ),
        _Card("Ann", "Lee", "ACME Corp.", kind=1, values=[(EMAIL, "_$!<Work>!$_", "ann.lee@acme.example")]),
        _Card(organization="Zahnarztpraxis Dr. Öz", values=[(PHONE, "_$!<Main>!$_", "030 987654")]),
        _Card(values=[(PHONE, "_$!<Pager>!$_", "+1 555 0199"), (EMAIL, None, "later@example.com")]),
        _Card(values=[(EMAIL, "_$!<Other>!$_", "nobody@example.org")]),
        _Card(created=None, modified=None),
        _Card("  ", "Kim", values=[(PHONE, None, "+82 10 1234 5678")]),
        _Card("Alex", "Smith", values=[(PHONE, "_$!<Mobile>!$_", "+44 7700 900001")]),
        _Card("Alex", "Smith", values=[(PHONE, "_$!<Mobile>!$_", "+44 7700 900002")]),
        _Card("小明", "王", middle="晓", values=[(PHONE, "手机", "+86 138 0013 8000")]),
        _Card("🎉 Party", None, note="emoji", values=[(URL, "_$!<HomePage>!$_", "https://party.example")]),
        _Card(
            None,
            "Ólafsdóttir",
            values=[(ADDRESS, "_$!<Home>!$_", ""), (EMAIL, "_$!<Work>!$_", "ÓLAFS@Example.IS")],
        ),
    ]


def _random_card(rng: random.Random) -> _Card:
    values: list[tuple[int, str | None, str]] = []
    for _ in range(rng.randrange(3)):
        values.append(
            (PHONE, rng.choice(_PHONE_LABELS), f"+49 1{rng.randrange(50, 80)} {rng.randrange(10**7):07d}")
        )
    for _ in range(rng.randrange(3)):
        values.append((EMAIL, rng.choice(_EMAIL_LABELS), f"user{rng.randrange(10**4)}@mail.example"))
    created = _APRIL_2022 + rng.randrange(10**7)
    return _Card(
        rng.choice(_FIRST),
        rng.choice(_LAST),
        rng.choice(_ORGS),
        created=created,
        modified=created + rng.randrange(10**6),
        values=values,
    )


def _newest_cards(rng: random.Random) -> list[_Card]:
    return [
        _Card(
            "Émile",
            "Zola",
            created=_APRIL_2022 + 2 * 10**7,
            modified=_APRIL_2022 + 2 * 10**7,
            values=[
                (PHONE, "_$!<Mobile>!$_", "+33 6 12 34 56 78"),
                (EMAIL, "Ferienhaus", "emile@zola.example"),
            ],
        ),
        _Card(organization="Aaron's Garage", kind=1, created=_APRIL_2022 + 2 * 10**7 + 1, modified=None),
        _Card(rng.choice(_FIRST), rng.choice(_LAST), values=[(PHONE, "iPhone", "+49 170 0000000")]),
    ]


class _Writer:
    """Writes cards the way the AddressBook framework does: labels once each, values numbered per card."""

    def __init__(self, ios: int, rng: random.Random) -> None:
        self._ios = ios
        self._rng = rng
        self._labels: dict[str, int] = {}

    def create(self, connection: sqlite3.Connection, cards: Sequence[_Card]) -> None:
        connection.execute(person_table(self._ios))
        for statement in _OTHER_TABLES:
            connection.execute(statement)
        connection.executemany(
            "INSERT INTO _SqliteDatabaseProperties VALUES (?, ?)",
            [("__ABVersion", "_"), ("__ABHasFullTextSearch", "1"), ("AddressBookIOSVersion", str(self._ios))],
        )
        connection.execute(
            "INSERT INTO ABStore (ROWID, Name, Type, StoreInternalIdentifier, guid) VALUES (1, 'Local', 0, "
            "'LocalStore', ?)",
            (self._guid("ABStore"),),
        )
        self._insert(connection, cards)
        # A label whose row is gone (a sync dropped it): the value keeps its number, the label is unknown.
        connection.execute("UPDATE ABMultiValue SET label = 999 WHERE record_id = 9")
        connection.execute(
            "INSERT INTO ABGroup (Name, StoreID, guid) VALUES ('Familie', 1, ?)", (self._guid("ABGroup"),)
        )
        connection.execute("INSERT INTO ABGroupMembers (group_id, member_type, member_id) VALUES (1, 0, 1)")

    def change(self, connection: sqlite3.Connection, cards: Sequence[_Card]) -> None:
        """The newest changes: cards added, one renamed, one deleted with its values."""
        self._insert(connection, cards)
        connection.execute(
            "UPDATE ABPerson SET Last = 'Smith-Jones', ModificationDate = ? WHERE ROWID = 16",
            (_APRIL_2022 + 3 * 10**7,),
        )
        connection.execute("DELETE FROM ABMultiValue WHERE record_id = 15")
        connection.execute("DELETE FROM ABPerson WHERE ROWID = 15")

    def _insert(self, connection: sqlite3.Connection, cards: Sequence[_Card]) -> None:
        for card in cards:
            row = connection.execute(
                "INSERT INTO ABPerson (First, Last, Middle, Organization, Note, Kind, CreationDate, "
                "ModificationDate, StoreID, guid, FirstSort, LastSort) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                (
                    card.first,
                    card.last,
                    card.middle,
                    card.organization,
                    card.note,
                    card.kind,
                    card.created,
                    card.modified,
                    self._guid("ABPerson"),
                    (card.first or "").upper() or None,
                    (card.last or "").upper() or None,
                ),
            )
            numbers: dict[int, int] = {}
            for prop, label, value in card.values:
                identifier = numbers[prop] = numbers.get(prop, -1) + 1
                connection.execute(
                    "INSERT INTO ABMultiValue (record_id, property, identifier, label, value, guid) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (row.lastrowid, prop, identifier, self._label(connection, label), value, self._guid("")),
                )

    def _label(self, connection: sqlite3.Connection, label: str | None) -> int | None:
        if label is None:
            return None
        if label not in self._labels:
            cursor = connection.execute("INSERT INTO ABMultiValueLabel (value) VALUES (?)", (label,))
            assert cursor.lastrowid is not None
            self._labels[label] = cursor.lastrowid
        return self._labels[label]

    def _guid(self, kind: str) -> str:
        value = str(uuid.UUID(int=self._rng.getrandbits(128), version=4)).upper()
        return f"{value}:{kind}" if kind else value
