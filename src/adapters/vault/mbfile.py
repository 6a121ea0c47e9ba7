"""The `file` column of Manifest.db: an NSKeyedArchiver binary plist of an MBFile."""

import plistlib
from datetime import UTC, datetime
from typing import NamedTuple

from ios_backup_api.adapters.vault.mbfile_fast import Values, read_values

MAX_RECORD_BYTES = 100 * 1024  # iphone_backup_decrypt's limit too; real records are under 2 KB


class FileRecord(NamedTuple):  # a tuple: a page builds a hundred of them, and a frozen dataclass is slower
    """What a row's MBFile says; a field that is missing or malformed is None."""

    size: int | None = None
    mode: int | None = None
    modified_at: datetime | None = None
    protection_class: int | None = None
    link_target: str | None = None
    encryption_key: bytes | None = None
    """The EncryptionKey's NS.data: u32 LE protection class + the wrapped file key."""


UNKNOWN = FileRecord()


def decode_file_record(blob: object, with_key: bool = True) -> FileRecord:
    """Never raises: a missing, oversized or garbage blob gives a record of None fields. Without `with_key`
    the encryption key is not read (listings do not need it): it is None."""
    if not isinstance(blob, bytes) or not blob or len(blob) > MAX_RECORD_BYTES:
        return UNKNOWN
    try:
        values = read_values(blob, with_key)
    except Exception:  # a damaged archive: plistlib decides what can be read of it
        values = None
    if values is not None:
        return _record(values)
    record = _decoded_by_plistlib(blob)
    return record if with_key else record._replace(encryption_key=None)


def _record(values: Values) -> FileRecord:
    size, mode, modified, protection, target, key = values
    return FileRecord(
        size=size if size is not None and 0 <= size <= MAX_COUNT else None,
        mode=mode if mode is not None and 0 <= mode <= MAX_COUNT else None,
        modified_at=None if modified is None else _moment(modified),
        protection_class=protection if protection is not None and 0 <= protection <= MAX_COUNT else None,
        link_target=target,
        encryption_key=key,
    )


def _decoded_by_plistlib(blob: bytes) -> FileRecord:
    try:
        archive = plistlib.loads(blob, fmt=plistlib.FMT_BINARY)
    except Exception:  # plistlib raises many types on malformed input
        return UNKNOWN
    if not isinstance(archive, dict):
        return UNKNOWN
    objects = archive.get("$objects")
    top = archive.get("$top")
    if not isinstance(objects, list) or not isinstance(top, dict):
        return UNKNOWN
    root = _object(objects, top.get("root"))
    if not isinstance(root, dict):
        return UNKNOWN
    key = _object(objects, root.get("EncryptionKey"))
    target = _object(objects, root.get("Target"))
    return FileRecord(
        size=_count(root.get("Size")),
        mode=_count(root.get("Mode")),
        modified_at=_moment(root.get("LastModified")),
        protection_class=_count(root.get("ProtectionClass")),
        link_target=target if isinstance(target, str) else None,
        encryption_key=_data(key.get("NS.data")) if isinstance(key, dict) else None,
    )


def _object(objects: list[object], reference: object) -> object:
    # Index 0 is "$null" by the archiver's convention.
    if isinstance(reference, plistlib.UID) and 0 < reference.data < len(objects):
        return objects[reference.data]
    return None


MAX_COUNT = 2**63 - 1
"""A size, mode, time or class past a signed 64-bit integer is no phone's (a record may claim 16 KiB of
digits): it is unknown, like any malformed field, and every answer stays within what JSON readers take."""


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    return None


def _moment(value: object) -> datetime | None:
    seconds = _count(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _data(value: object) -> bytes | None:
    return value if isinstance(value, bytes) else None
