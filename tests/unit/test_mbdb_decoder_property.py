"""The hand-written Manifest.mbdb reader (vault/mbdb) against a reference: pyiosbackup's construct grammar of
the format, on records hypothesis makes and the writer encodes. Both must read the same fields."""

import hashlib
import stat
from contextlib import closing
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from pyiosbackup.manifest_dbs.mbdb import mbdb_struct

from ios_backup_api.adapters.backup_writer.mbdb import MbdbRecord, encode_record
from ios_backup_api.adapters.vault import mbdb
from ios_backup_api.adapters.vault.entries import FilesRow

# No NUL: the reference's PaddedString strips trailing NULs, which the format does not.
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
_TYPES = [stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK, stat.S_IFIFO, 0]
_FLAGS = {stat.S_IFREG: 1, stat.S_IFDIR: 2, stat.S_IFLNK: 4}

records = st.builds(
    MbdbRecord,
    domain=_TEXT,
    relative_path=_TEXT,
    mode=st.builds(lambda kind, bits: kind | bits, st.sampled_from(_TYPES), st.integers(0, 0o7777)),
    inode=st.integers(0, 2**64 - 1),
    modified_at=st.integers(0, 2**32 - 121),  # the writer's atime and ctime are 60 and 120 s later
    size=st.integers(0, 2**64 - 1),
    protection_class=st.integers(0, 255),
    link_target=st.none() | _TEXT,
    data_hash=st.none() | st.binary(max_size=20),
    encryption_key=st.none() | st.binary(min_size=1, max_size=44),
    properties=st.lists(st.tuples(_TEXT, _TEXT), max_size=3).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=6))
def test_the_reader_agrees_with_the_reference_grammar(written: list[MbdbRecord]) -> None:
    data = b"mbdb\x05\x00" + b"".join(encode_record(record) for record in written)
    reference = mbdb_struct.parse(data).records
    with closing(mbdb.loaded(memoryview(data))) as connection:
        rows = [FilesRow(*row) for row in connection.execute("SELECT * FROM Files ORDER BY rowid")]
    assert len(rows) == len(reference) == len(written)
    for row, expected in zip(rows, reference, strict=True):
        assert row.file_id == hashlib.sha1(f"{expected.domain}-{expected.filename}".encode()).hexdigest()
        assert (row.domain, row.relative_path) == (expected.domain, expected.filename)
        assert row.flags == _FLAGS.get(stat.S_IFMT(expected.mode), 0)
        record = row.record()
        assert (record.mode, record.protection_class) == (expected.mode, expected.flags)
        assert record.size == (expected.size if expected.size < 2**63 else None)
        assert record.modified_at == datetime.fromtimestamp(expected.mtime, UTC)
        assert record.link_target == (None if expected.link_len == 0xFFFF else expected.linktarget)
        assert record.encryption_key == (expected.encryption_key or None)
        assert row.record(with_key=False).encryption_key is None
