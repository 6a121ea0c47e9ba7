"""Manifest.mbdb (iOS 4 to 9): "mbdb\x05\x00", then one big-endian record per entry, never encrypted."""

import struct
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

_HEADER = b"mbdb\x05\x00"
_NULL = b"\xff\xff"
_FIXED = struct.Struct(">HQLLLLLQBB")
_MOBILE = 501  # the uid and gid of the phone's user
_ACCESSED_LATER = 60  # seconds after the modification: the three times differ, so no reader mixes them up
_CHANGED_LATER = 120


class MbdbRecord(NamedTuple):
    domain: str
    relative_path: str
    mode: int
    inode: int
    modified_at: int
    size: int
    protection_class: int
    link_target: str | None = None
    data_hash: bytes | None = None
    encryption_key: bytes | None = None
    """u32 LE protection class + the wrapped file key; None in an unencrypted backup."""
    properties: tuple[tuple[str, str], ...] = ()


def _string(value: str | bytes | None) -> bytes:
    if value is None:
        return _NULL
    data = value.encode() if isinstance(value, str) else value
    if len(data) >= 0xFFFF:
        raise ValueError("an mbdb string holds at most 65,534 bytes")
    return struct.pack(">H", len(data)) + data


def encode_record(record: MbdbRecord) -> bytes:
    strings = (
        record.domain,
        record.relative_path,
        record.link_target,
        record.data_hash,
        record.encryption_key,
    )
    fixed = _FIXED.pack(
        record.mode,
        record.inode,
        _MOBILE,
        _MOBILE,
        record.modified_at,
        record.modified_at + _ACCESSED_LATER,
        record.modified_at + _CHANGED_LATER,
        record.size,
        record.protection_class,
        len(record.properties),
    )
    properties = b"".join(_string(name) + _string(value) for name, value in record.properties)
    return b"".join(_string(value) for value in strings) + fixed + properties


def write_manifest_mbdb(path: Path, records: Iterable[MbdbRecord]) -> None:
    with path.open("xb") as out:
        out.write(_HEADER)
        for record in records:
            out.write(encode_record(record))
