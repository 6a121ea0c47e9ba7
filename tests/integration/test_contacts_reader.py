"""The contacts reader answers what an independent reading of AddressBook.sqlitedb gives, on the generated
databases of iOS 14 to 18, with and without a -wal."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ios_backup_api.adapters.apps.contacts import SqliteContactsReader, plain_label
from ios_backup_api.adapters.apps.loading import loaded_database
from ios_backup_api.adapters.backup_writer.apps.contacts import PATH, contacts_entries
from ios_backup_api.domain.errors import ViewUnreadableError
from ios_backup_api.domain.views.pages import SOURCES, ViewName, ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Contact
from tests.support.app_oracles import contacts as oracle
from tests.support.app_views import (
    CASES,
    IOS_VERSIONS,
    Files,
    answer,
    case_id,
    check_paging,
    edited,
    read_view,
    shell_rows,
)
from tests.support.app_views import generated as generated_files

SOURCE = SOURCES[ViewName.CONTACTS]


def generated(ios: int, wal: bool, seed: int = 0) -> Files:
    return generated_files(contacts_entries, PATH, ios, wal, seed)


@pytest.fixture(params=CASES, ids=case_id)
def database(request: pytest.FixtureRequest) -> Files:
    ios, wal = request.param
    return generated(ios, wal, seed=ios)


async def read(files: Files, **query: Any) -> ViewPage[Contact]:
    return await read_view(SOURCE, SqliteContactsReader().contacts, files, **query)


async def test_every_contact_and_field_is_what_the_database_holds(database: Files) -> None:
    page = await read(database, limit=1000)
    assert answer(page) == oracle.contacts(*database, limit=1000)
    assert page.total >= 25


async def test_pages_are_slices_of_one_order(database: Files) -> None:
    await check_paging(read, oracle.contacts, database, 4)


@pytest.mark.parametrize(
    "q", ["smith", "STRASSE", "ü", "+49", "@", "acme", "WORK.example", "王", "", "absent-x"]
)
async def test_q_matches_names_organization_phones_and_emails_by_case_folding(
    database: Files, q: str
) -> None:
    assert answer(await read(database, q=q, limit=1000)) == oracle.contacts(*database, q=q, limit=1000)


async def test_one_database_answers_each_query_in_turn() -> None:
    """The reader keeps a query's matches per database: other queries after it get their own."""
    files = generated(18, True)
    main, wal = files
    assert wal is not None
    database = loaded_database(SOURCE, bytearray(main), bytearray(wal))
    try:
        for q in [None, "listed", "names", "smith", None, "listed"]:
            page = await SqliteContactsReader().contacts(database, ViewQuery(q=q, limit=1000))
            assert answer(page) == oracle.contacts(*files, q=q, limit=1000)
    finally:
        database.close()


async def test_q_folds_case_beyond_ascii() -> None:
    page = await read(generated(17, True), q="STRASSE")
    assert [item.last_name for item in page.items] == ["Straße"]
    email = await read(generated(17, True), q="ólafs@example.is")
    assert [item.last_name for item in email.items] == ["Ólafsdóttir"]


async def test_display_names_follow_the_contacts_app() -> None:
    items = (await read(generated(18, False), limit=1000)).items
    shown = {item.id: item.display_name for item in items}
    assert shown[3] == "Bäckerei Müller"  # a company's card
    assert shown[4] == "ACME Corp."  # a company's card with a contact person's name
    assert shown[5] == "Zahnarztpraxis Dr. Öz"  # a person's card with only an organization
    assert shown[6] == "+1 555 0199"  # only a phone and an email
    assert shown[7] == "nobody@example.org"  # only an email
    assert shown[8] == ""  # nothing at all
    assert shown[9] == "Kim"  # a blank first name
    assert shown[12] == "小明 王"
    assert [item.display_name for item in items] == sorted(item.display_name for item in items)
    twins = [item.id for item in items if item.display_name == "Alex Smith"]
    assert twins == [10, 11]


async def test_labels_are_plain_words() -> None:
    by_id = {item.id: item for item in (await read(generated(15, False), limit=1000)).items}
    assert [(phone.label, phone.value) for phone in by_id[1].phones] == [
        ("mobile", "+45 20 12 34 56"),
        ("iPhone", "+45 31 00 00 01"),
    ]
    assert [email.label for email in by_id[1].emails] == ["home"]
    assert [phone.label for phone in by_id[2].phones] == ["home fax"]
    assert [phone.label for phone in by_id[3].phones] == ["work", "Laden"]
    assert [phone.label for phone in by_id[9].phones] == [None]  # its label row is gone
    assert by_id[6].emails[0].label is None  # stored without a label
    assert by_id[13].phones == []
    assert by_id[13].emails == []


async def test_the_wal_holds_the_newest_changes() -> None:
    main, wal = generated(16, True)
    assert wal is not None
    with_wal = {item.id: item for item in (await read((main, wal), limit=1000)).items}
    before = {item.id: item for item in (await read((main, None), limit=1000)).items}
    added = set(with_wal) - set(before)
    assert {with_wal[key].display_name for key in added} >= {"Émile Zola", "Aaron's Garage"}
    assert with_wal[16].last_name == "Smith-Jones"
    assert before[16].last_name != "Smith-Jones"
    assert 15 in before
    assert 15 not in with_wal
    assert answer(await read((main, None), limit=1000)) == oracle.contacts(main, None, limit=1000)
    assert [email.label for email in with_wal[max(added) - 2].emails] == ["Ferienhaus"]


async def test_times_keep_their_fractions() -> None:
    item = next(item for item in (await read(generated(14, False), limit=1000)).items if item.id == 2)
    assert item.created_at is not None
    assert item.created_at.microsecond == 250_000
    assert item.modified_at is not None
    assert item.modified_at.microsecond == 500_000


async def test_a_database_without_optional_columns_gives_nulls() -> None:
    main = edited(
        *generated(14, True),
        "ALTER TABLE ABPerson DROP COLUMN First",
        "ALTER TABLE ABPerson DROP COLUMN Organization",
        "ALTER TABLE ABPerson DROP COLUMN Kind",
        "ALTER TABLE ABPerson DROP COLUMN CreationDate",
        "ALTER TABLE ABPerson DROP COLUMN ModificationDate",
        "DROP TABLE ABMultiValueLabel",
    )
    page = await read((main, None), limit=1000)
    assert answer(page) == oracle.contacts(main, None, limit=1000)
    assert all(item.first_name is None and item.organization is None for item in page.items)
    assert all(item.created_at is None and item.modified_at is None for item in page.items)
    assert all(value.label is None for item in page.items for value in item.phones + item.emails)
    assert any(item.last_name == "Straße" for item in page.items)


async def test_a_database_without_labels_column_gives_null_labels() -> None:
    main = edited(*generated(18, False), "ALTER TABLE ABMultiValue DROP COLUMN label")
    page = await read((main, None), limit=1000)
    assert all(value.label is None for item in page.items for value in item.phones + item.emails)
    assert sum(len(item.phones) for item in page.items) > 10


@pytest.mark.parametrize(
    ("statement", "missing"),
    [
        ("DROP TABLE ABPerson", "ABPerson"),
        ("DROP TABLE ABMultiValue", "ABMultiValue"),
        ("ALTER TABLE ABMultiValue DROP COLUMN value", "ABMultiValue"),
        ("ALTER TABLE ABMultiValue RENAME COLUMN record_id TO owner", "ABMultiValue"),
    ],
)
async def test_a_database_without_what_the_view_needs_is_unreadable(statement: str, missing: str) -> None:
    main = edited(*generated(17, False), statement)
    with pytest.raises(ViewUnreadableError, match=missing):
        await read((main, None))


async def test_a_database_of_another_app_is_unreadable() -> None:
    main = edited(b"", None, "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT)")
    with pytest.raises(ViewUnreadableError, match="no ABPerson table"):
        await read((main, None))


async def test_an_empty_address_book_has_no_contacts() -> None:
    main = edited(*generated(18, True), "DELETE FROM ABMultiValue", "DELETE FROM ABPerson")
    page = await read((main, None), q="a")
    assert (page.items, page.total) == ([], 0)
    assert answer(await read((main, None))) == oracle.contacts(main, None)


async def test_odd_values_are_read_as_the_oracle_reads_them() -> None:
    main = edited(
        *generated(16, True),
        "UPDATE ABPerson SET First = NULL, Last = NULL, Organization = NULL WHERE ROWID = 1",
        "UPDATE ABPerson SET First = CAST(X'FFFE41' AS TEXT), CreationDate = 1e300 WHERE ROWID = 2",
        "UPDATE ABPerson SET Last = X'4F6BC3', ModificationDate = -1e300 WHERE ROWID = 3",
        "UPDATE ABPerson SET CreationDate = 9223372036854775807, ModificationDate = 'soon' WHERE ROWID = 4",
        "UPDATE ABMultiValue SET value = 4930123 WHERE record_id = 5",
        "UPDATE ABMultiValue SET value = NULL WHERE record_id = 9",
        "UPDATE ABMultiValueLabel SET value = X'C3' WHERE value = 'Laden'",
        "INSERT INTO ABMultiValueLabel (value) VALUES ('_$!<>!$_')",
        "UPDATE ABMultiValue SET label = (SELECT max(ROWID) FROM ABMultiValueLabel) WHERE record_id = 10",
        "UPDATE ABPerson SET First = char(9, 160, 12288), Last = char(10) WHERE ROWID = 7",
        "UPDATE ABPerson SET First = char(8203) WHERE ROWID = 8",
    )
    page = await read((main, None), limit=1000)
    assert answer(page) == oracle.contacts(main, None, limit=1000)
    by_id = {item.id: item for item in page.items}
    assert by_id[1].display_name == "+45 20 12 34 56"
    assert by_id[2].first_name == "\ufffd\ufffdA"
    assert by_id[2].created_at is None
    assert by_id[3].last_name == "Ok\ufffd"
    assert by_id[3].modified_at is None
    assert by_id[4].created_at is None
    assert by_id[4].modified_at is None
    assert by_id[5].phones[0].value == "4930123"
    assert by_id[9].phones == []
    assert by_id[9].display_name == "Kim"
    assert by_id[10].phones[0].label is None
    assert by_id[7].display_name == "nobody@example.org"  # a name of white space only is blank
    assert by_id[8].display_name == "\u200b"  # a zero-width space is no white space


def test_the_generated_databases_read_in_the_sqlite_shell() -> None:
    for ios in IOS_VERSIONS:
        main, wal = generated(ios, True)
        assert shell_rows(main, wal, "PRAGMA integrity_check") == [["ok"]]
        columns = {row[1] for row in shell_rows(main, wal, "PRAGMA table_info(ABPerson)")}
        assert {"First", "Last", "Organization", "CreationDate", "ModificationDate", "guid"} <= columns
        assert ("WallpaperURI" in columns) == (ios >= 17)
        assert ("ImageType" in columns) == (ios >= 15)
        people = shell_rows(main, wal, "SELECT ROWID, First, Last FROM ABPerson ORDER BY ROWID")
        without_wal = shell_rows(main, None, "SELECT ROWID FROM ABPerson")
        assert len(people) == len(without_wal) + 2  # three added, one deleted, in the WAL only
        assert ["1", "Zoë", "Ærøskøbing"] in people
        phones = shell_rows(
            main,
            wal,
            "SELECT p.ROWID, l.value, v.value FROM ABPerson p JOIN ABMultiValue v ON v.record_id = p.ROWID "
            "LEFT JOIN ABMultiValueLabel l ON l.ROWID = v.label WHERE v.property = 3 ORDER BY v.UID",
        )
        assert ["1", "_$!<Mobile>!$_", "+45 20 12 34 56"] in phones
        assert [
            "1",
            "iPhone",
            "+45 31 00 00 01",
        ] in phones


def test_the_generator_is_deterministic_and_seeded() -> None:
    """The same rows for the same seed (a WAL's header has salts SQLite draws anew each time)."""
    first, again, other = (
        generated(15, True, seed=3),
        generated(15, True, seed=3),
        generated(15, True, seed=4),
    )
    assert first[0] == again[0]
    assert first[0] != other[0]
    assert oracle.contacts(*first, limit=1000) == oracle.contacts(*again, limit=1000)
    assert oracle.contacts(*first, limit=1000) != oracle.contacts(*other, limit=1000)


_MARKER_WORDS = st.text(alphabet="abcXYZhomeFAX019_ ", max_size=12)


@given(_MARKER_WORDS | st.text(max_size=12))
def test_labels_become_the_words_the_oracle_finds(inner: str) -> None:
    for stored in (f"_$!<{inner}>!$_", inner):
        assert plain_label(stored) == oracle.plain(stored)
