"""The BackupKeyBag of Manifest.plist: 4-byte ASCII tag, u32 BE length, value; integers are u32 BE."""

import struct

KeybagValue = bytes | int


def encode_tlv(items: list[tuple[bytes, KeybagValue]]) -> bytes:
    parts = []
    for tag, value in items:
        data = struct.pack(">L", value) if isinstance(value, int) else value
        parts.append(tag + struct.pack(">L", len(data)) + data)
    return b"".join(parts)
