"""Manifest.mbdb (iOS 4 to 9), loaded into the same in-memory Files table that Manifest.db gives.

The file is "mbdb\\x05\\x00" and then one record per entry, big-endian: domain, relative path, link target,
data hash and encryption key as u16-length strings (0xFFFF for none), then mode (u16), inode (u64), user
and group (u32), modified, accessed and changed times (u32 Unix seconds), size (u64), protection class (u8)
and a count (u8) of name/value string pairs. It is never encrypted; an encryption key is the u32 LE
protection class and the 40-byte wrapped key of the payload, as in an MBFile.

Each record becomes a Files row whose id is SHA-1(domain-path), as the payload is named, whose flags come
from the mode's file type (0, listed with no kind, for none of the three), and whose `file` column is the
record itself behind the header: a one-record Manifest.mbdb that `decode_record` reads when a page or a
content needs the fields.
"""

import hashlib
import sqlite3
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NamedTuple

from ios_backup_api.adapters.vault.kinds import FLAGS_OF_KIND, kind_of_mode
from ios_backup_api.adapters.vault.mbfile import MAX_COUNT, FileRecord
from ios_backup_api.domain.errors import CorruptBackupError

MAGIC = b"mbdb\x05\x00"
_NULL = 0xFFFF
_LENGTH = struct.Struct(">H")
_FIXED = struct.Struct(">HQLLLLLQBB")
"""mode, inode, user, group, modified, accessed, changed, size, protection class, property count."""
_UNKNOWN_KIND = 0  # listed with no kind, as a Manifest.db row of another flag whose Mode tells none
_COLUMNS = "fileID TEXT, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB"


class MbdbRecord(NamedTuple):
    domain: bytes
    relative_path: bytes
    link_target: bytes | None
    encryption_key: bytes | None
    mode: int
    modified_at: int
    size: int
    protection_class: int
    end: int
    """Where the next record starts."""


def loaded(data: memoryview) -> sqlite3.Connection:
    """An in-memory SQLite database holding one Files row per record of the Manifest.mbdb in `data` (no
    reference to `data` is kept). Raises `CorruptBackupError` for a file that is no Manifest.mbdb or is cut
    short."""
    if bytes(data[: len(MAGIC)]) != MAGIC:
        raise CorruptBackupError("Manifest.mbdb is not a manifest of iOS 4 to 9 (its header is wrong).")
    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    try:
        connection.execute("PRAGMA temp_store = MEMORY")
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute(f"CREATE TABLE Files ({_COLUMNS})")
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", _rows(data))
        connection.execute("COMMIT")
        # A row is looked up by id for its content; ids repeat only in a damaged file (then the first wins).
        connection.execute("CREATE INDEX ios_backup_api_mbdb_ids ON Files(fileID)")
    except BaseException:
        connection.close()
        raise
    return connection


def decode_record(blob: bytes, with_key: bool = True) -> FileRecord:
    """The fields of a Files row's `file` made by `loaded`. Never raises: a damaged one gives None fields."""
    try:
        record = _record(memoryview(blob), len(MAGIC))
    except CorruptBackupError:
        return FileRecord()
    return FileRecord(
        size=record.size if record.size <= MAX_COUNT else None,
        mode=record.mode,
        modified_at=datetime.fromtimestamp(record.modified_at, UTC),
        protection_class=record.protection_class,
        link_target=None if record.link_target is None else _text(record.link_target),
        encryption_key=record.encryption_key if with_key else None,
    )


def _rows(data: memoryview) -> Iterator[tuple[str, str, str, int, bytes]]:
    offset = len(MAGIC)
    while offset < len(data):
        record = _record(data, offset)
        file_id = hashlib.sha1(record.domain + b"-" + record.relative_path).hexdigest()  # noqa: S324
        kind = kind_of_mode(record.mode)
        flags = _UNKNOWN_KIND if kind is None else FLAGS_OF_KIND[kind]
        blob = MAGIC + bytes(data[offset : record.end])
        yield file_id, _text(record.domain), _text(record.relative_path), flags, blob
        offset = record.end


def _record(data: memoryview, offset: int) -> MbdbRecord:
    domain, offset = _string(data, offset)
    relative_path, offset = _string(data, offset)
    link_target, offset = _string(data, offset)
    _, offset = _string(data, offset)  # the data hash: nothing here checks it
    encryption_key, offset = _string(data, offset)
    if offset + _FIXED.size > len(data):
        raise _cut_short()
    mode, _, _, _, modified_at, _, _, size, protection_class, properties = _FIXED.unpack_from(data, offset)
    offset += _FIXED.size
    for _ in range(2 * properties):
        _, offset = _string(data, offset)
    return MbdbRecord(
        domain or b"",
        relative_path or b"",
        link_target,
        encryption_key or None,
        mode,
        modified_at,
        size,
        protection_class,
        offset,
    )


def _string(data: memoryview, offset: int) -> tuple[bytes | None, int]:
    if offset + _LENGTH.size > len(data):
        raise _cut_short()
    (length,) = _LENGTH.unpack_from(data, offset)
    offset += _LENGTH.size
    if length == _NULL:
        return None, offset
    if offset + length > len(data):
        raise _cut_short()
    return bytes(data[offset : offset + length]), offset + length


def _text(data: bytes) -> str:
    # As Manifest.db's text is read: bytes that are not UTF-8 are listed as U+FFFD, never failing a listing.
    return data.decode("utf-8", "replace")


def _cut_short() -> CorruptBackupError:
    return CorruptBackupError("Manifest.mbdb is damaged: a record is cut short.")
