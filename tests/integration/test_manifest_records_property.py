"""A paged manifest's decoded records (adapters/vault/manifest_records), stored in SQLite and read back, give
exactly the entry that decoding the row's record gives (`entry_of`, what every page built before): any
count, any moment a datetime holds, a link target with lone surrogates, names that are not UTF-8, flags of
any type."""

from datetime import UTC, datetime

import apsw
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.vault import manifest_records
from ios_backup_api.adapters.vault.entries import entry_of
from ios_backup_api.adapters.vault.manifest_records import DecodedRecords
from ios_backup_api.adapters.vault.mbfile import MAX_COUNT, FileRecord

counts = st.none() | st.integers(0, MAX_COUNT)
moments = st.none() | st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.astimezone(UTC))
targets = st.none() | st.text(st.characters(exclude_categories=()), max_size=40)
records = st.builds(FileRecord, counts, counts, moments, counts, targets)
names = st.binary(max_size=40) | st.text(max_size=40).map(str.encode)
flags = st.sampled_from([1, 2, 4, 1.0, 7, None, "1", b"\x01"])


@settings(max_examples=300, deadline=None)
@example(  # a link whose target holds a lone surrogate (NSString is UTF-16) and a name that is not UTF-8
    record=FileRecord(0, 0o120755, datetime(2020, 1, 1, tzinfo=UTC), 0, "/private/var/a\udc80b"),
    file_id=b"\xff\xfe",
    domain=b"HomeDomain",
    path=b"Library/link",
    flag=4,
)
@given(record=records, file_id=names, domain=names, path=names, flag=flags)
def test_a_stored_record_gives_the_entry_its_decoding_gives(
    record: FileRecord, file_id: bytes, domain: bytes, path: bytes, flag: object
) -> None:
    connection = apsw.Connection(":memory:")
    connection.execute(
        "CREATE TABLE decoded (id INTEGER PRIMARY KEY, size, mode, modified, protection, target)"
    )
    connection.execute(
        "INSERT INTO decoded VALUES (?, ?, ?, ?, ?, ?)",
        (1, *manifest_records._fields(record)),  # the storing half of the pair under test
    )
    (stored,) = connection.execute("SELECT size, mode, modified, protection, target FROM decoded").fetchall()
    entry = DecodedRecords.entry((file_id, domain, path, flag, *stored))
    expected = entry_of(
        file_id.decode("utf-8", "replace"),
        domain.decode("utf-8", "replace"),
        path.decode("utf-8", "replace"),
        flag,
        record,
    )
    assert entry == expected


def test_the_epoch_and_the_last_microsecond_a_datetime_holds_are_kept() -> None:
    for moment in (
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime.min.replace(tzinfo=UTC),
    ):
        record = FileRecord(1, 0o100644, moment, 3, None)
        fields = manifest_records._fields(record)
        assert DecodedRecords.entry((b"f", b"d", b"p", 1, *fields)).modified_at == moment
