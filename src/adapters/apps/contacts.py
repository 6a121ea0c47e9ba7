"""The contacts view: `ABPerson` cards of AddressBook.sqlitedb with their phones and emails."""

import re
import sqlite3
from dataclasses import dataclass

from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.adapters.apps.sql_values import folded, marks, number, text, text_sql
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import from_apple_seconds
from ios_backup_api.domain.views.pages import ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Contact, LabeledValue

_PHONE, _EMAIL = 3, 4
_COMPANY = 1
"""`ABPerson.Kind` of a company's card: the Contacts app shows its organization, not a person's name."""
_NEEDED_VALUES = ("RECORD_ID", "PROPERTY", "VALUE")
_PERSON_COLUMNS = ("First", "Last", "Organization", "Kind", "CreationDate", "ModificationDate")
_SPACES = "".join(chr(point) for point in range(0x3000 + 1) if chr(point).isspace())
"""The characters `str.strip` removes (U+3000 is the last): `trim` by these makes a blank name empty."""
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_", re.DOTALL)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True, slots=True)
class _Listed:
    id: int
    display_name: str
    searched: tuple[str | None, ...]
    """What `q` looks in besides the phones and emails: the names, the organization, the display name."""


class SqliteContactsReader:
    """Contacts as the Contacts app lists them.

    `display_name` is what the app shows for a card: a company's card (`Kind` 1) its organization; else
    the first and last name joined by a space (blank parts left out); else the organization; else the
    card's first phone, else its first email; else "". Phones and emails keep the card's order, those
    without a value are left out. A label `_$!<HomeFAX>!$_` (Apple's own) becomes its words in lower case
    (`home fax`); any other label (`iPhone`, one the user typed) is kept as written; an empty or unknown
    label is None. Ordered by `display_name` (code points), then id.
    """

    async def contacts(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Contact]:
        db = sqlite_database(database)
        return await db.read(lambda connection: _page(db, connection, query))


def plain_label(stored: str | None) -> str | None:
    if not stored:
        return None
    marker = _APPLE_LABEL.fullmatch(stored)
    if marker is None:
        return stored
    inner = marker.group(1)
    if not inner.isascii():  # Apple's markers are ASCII words; any other is lower-cased whole
        return inner.lower() or None
    return " ".join(word.lower() for word in _WORD.findall(inner)) or inner.lower() or None


def _page(db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery) -> ViewPage[Contact]:
    source = db.source.relative_path
    person = db.columns(connection, "ABPerson")
    values = db.columns(connection, "ABMultiValue")
    if not person:
        raise ViewUnreadableError(f"{source} has no ABPerson table, where contacts are kept.")
    if not values or any(name not in values for name in _NEEDED_VALUES):
        raise ViewUnreadableError(
            f"{source} lacks ABMultiValue (record_id, property, value), where phones and emails are kept."
        )
    columns = {name: name if name.upper() in person else "NULL" for name in _PERSON_COLUMNS}
    labelled = "LABEL" in values and "VALUE" in db.columns(connection, "ABMultiValueLabel")
    listed = db.kept(("contacts", "listed"), lambda: _listed(connection, columns))
    if query.q is None:
        ids = db.kept(("contacts", "ids"), lambda: [row.id for row in listed])
    else:
        searched = db.kept(("contacts", "searched"), lambda: _searched(connection, listed))
        ids = db.kept(("contacts", "matching", query.q), lambda: _matching(searched, query.q or ""))
    chosen = ids[query.offset : query.offset + query.limit]
    names = db.kept(("contacts", "names"), lambda: {row.id: row.display_name for row in listed})
    return ViewPage(
        _contacts(connection, columns, labelled, chosen, names), len(ids), query.limit, query.offset
    )


def _searched(connection: sqlite3.Connection, listed: list[_Listed]) -> list[tuple[int, tuple[str, ...]]]:
    """Each card in display order with what `q` looks in, case-folded: its names, organization, display
    name, phones and emails (found once, for the first search)."""
    values = _folded_values(connection)
    return [(row.id, folded(*row.searched) + values.get(row.id, ())) for row in listed]


def _matching(searched: list[tuple[int, tuple[str, ...]]], q: str) -> list[int]:
    """The ids in display order of the cards holding `q` in one of their fields (by case folding)."""
    needle = q.casefold()
    return [pk for pk, fields in searched if any(needle in field for field in fields)]


def _folded_values(connection: sqlite3.Connection) -> dict[int, tuple[str, ...]]:
    """Each card's phones and emails, case-folded: where `q` looks besides the names."""
    found: dict[int, list[str | None]] = {}
    for owner, value in connection.execute(
        f"SELECT record_id, CAST(value AS BLOB) FROM ABMultiValue WHERE property IN ({_PHONE}, {_EMAIL}) "  # noqa: S608
        "AND value IS NOT NULL"
    ):
        found.setdefault(owner, []).append(text(value))
    return {owner: folded(*values) for owner, values in found.items()}


def _listed(connection: sqlite3.Connection, columns: dict[str, str]) -> list[_Listed]:
    first, last, organization = (text_sql(columns[name]) for name in ("First", "Last", "Organization"))
    blank = " AND ".join(
        f"trim(coalesce({columns[name]}, ''), :spaces) = ''" for name in ("First", "Last", "Organization")
    )
    # Only a card without names or organization shows a phone or email: SQLite finds its first one.
    fallback = (
        f"CASE WHEN {blank} THEN (SELECT CAST(v.value AS BLOB) FROM ABMultiValue v "  # noqa: S608
        f"WHERE v.record_id = p.ROWID AND v.property IN ({_PHONE}, {_EMAIL}) AND v.value IS NOT NULL "
        "ORDER BY v.property, v.ROWID LIMIT 1) END"
    )
    listed = []
    for key, *stored, kind, shown_value in connection.execute(
        f"SELECT p.ROWID, {first}, {last}, {organization}, {columns['Kind']}, {fallback} "  # noqa: S608
        "FROM ABPerson p",
        {"spaces": _SPACES},
    ):
        names = (text(stored[0]), text(stored[1]), text(stored[2]))
        shown = _display_name(*names, number(kind), text(shown_value))
        listed.append(_Listed(key, shown, (*names, shown)))
    listed.sort(key=lambda row: (row.display_name, row.id))
    return listed


def _display_name(
    first: str | None,
    last: str | None,
    organization: str | None,
    kind: int | float | None,
    first_value: str | None,
) -> str:
    company = (organization or "").strip()
    if kind == _COMPANY and company:
        return company
    name = " ".join(part.strip() for part in (first, last) if part and part.strip())
    return name or company or first_value or ""


def _contacts(
    connection: sqlite3.Connection,
    columns: dict[str, str],
    labelled: bool,
    ids: list[int],
    names: dict[int, str],
) -> list[Contact]:
    if not ids:
        return []
    places = marks(len(ids))
    label = (
        "(SELECT CAST(l.value AS BLOB) FROM ABMultiValueLabel l WHERE l.ROWID = v.label)"
        if labelled
        else "NULL"
    )
    phones: dict[int, list[LabeledValue]] = {}
    emails: dict[int, list[LabeledValue]] = {}
    for owner, prop, stored_label, value in connection.execute(
        f"SELECT v.record_id, v.property, {label}, CAST(v.value AS BLOB) FROM ABMultiValue v "  # noqa: S608
        f"WHERE v.record_id IN ({places}) AND v.property IN ({_PHONE}, {_EMAIL}) AND v.value IS NOT NULL "
        "ORDER BY v.ROWID",
        ids,
    ):
        entry = LabeledValue(plain_label(text(stored_label)), text(value) or "")
        (phones if prop == _PHONE else emails).setdefault(owner, []).append(entry)
    found = {}
    for key, first, last, organization, created, modified in connection.execute(
        f"SELECT ROWID, {text_sql(columns['First'])}, {text_sql(columns['Last'])}, "  # noqa: S608
        f"{text_sql(columns['Organization'])}, {columns['CreationDate']}, {columns['ModificationDate']} "
        f"FROM ABPerson WHERE ROWID IN ({places})",
        ids,
    ):
        found[key] = Contact(
            id=key,
            first_name=text(first),
            last_name=text(last),
            organization=text(organization),
            display_name=names[key],
            phones=phones.get(key, []),
            emails=emails.get(key, []),
            created_at=from_apple_seconds(number(created)),
            modified_at=from_apple_seconds(number(modified)),
        )
    return [found[key] for key in ids if key in found]
