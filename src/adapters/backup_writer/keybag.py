"""The BackupKeyBag of Manifest.plist: 4-byte ASCII tag, u32 BE length, value; integers are u32 BE."""

import struct
from collections.abc import Iterator

KeybagValue = bytes | int


def encode_tlv(items: list[tuple[bytes, KeybagValue]]) -> bytes:
    parts = []
    for tag, value in items:
        data = struct.pack(">L", value) if isinstance(value, int) else value
        parts.append(tag + struct.pack(">L", len(data)) + data)
    return b"".join(parts)


def decode_tlv(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = 0
    while offset + 8 <= len(data):
        tag = data[offset : offset + 4]
        (length,) = struct.unpack(">L", data[offset + 4 : offset + 8])
        yield tag, data[offset + 8 : offset + 8 + length]
        offset += 8 + length
