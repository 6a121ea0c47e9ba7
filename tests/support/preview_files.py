"""Files a person previews, each made by the standard library's own writer (wave, zlib, plistlib, sqlite3):
a sound, a picture, property lists, a database, text and bytes that are none of these."""

import io
import math
import plistlib
import sqlite3
import struct
import wave
import zlib
from dataclasses import replace

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticDirectory, SyntheticFile

DOMAIN = "AppDomain-com.example.previews"
FOLDER = "Documents"
SETTINGS = {"Volume": 7, "Name": "Ada", "Tags": ["one", "two"], "Enabled": True}
SOUND_SECONDS = 6.0
TABLE_ROWS = [(n, f"row {n}", bytes([n]) * 20) for n in range(1, 31)]


def sound() -> bytes:
    """Mono 8 kHz 16-bit PCM, a 440 Hz tone."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        frames = int(8000 * SOUND_SECONDS)
        tone = (int(8000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(frames))
        writer.writeframes(b"".join(struct.pack("<h", value) for value in tone))
    return out.getvalue()


def picture(width: int = 48, height: int = 32) -> bytes:
    """An RGB PNG, red on the left half, blue on the right."""
    row = b"\x00" + (b"\xff\x00\x00" * (width // 2)) + (b"\x00\x00\xff" * (width - width // 2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def heic_picture(width: int = 64, height: int = 48) -> bytes:
    """The picture of `picture` (red left, blue right) as HEIC, by libheif's encoder (pillow-heif)."""
    import pillow_heif
    from PIL import Image

    image = Image.new("RGB", (width, height), (255, 0, 0))
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    out = io.BytesIO()
    pillow_heif.from_pillow(image).save(out, quality=95)
    return out.getvalue()


def database() -> bytes:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT, data BLOB)")
    connection.executemany("INSERT INTO items VALUES (?, ?, ?)", TABLE_ROWS)
    connection.execute("CREATE TABLE empty (x)")
    connection.commit()
    data = connection.serialize()
    connection.close()
    return bytes(data)


FILES = {
    "Tone.wav": sound(),
    "Picture.png": picture(),
    "Photo.HEIC": heic_picture(),
    "Settings.plist": plistlib.dumps(SETTINGS, fmt=plistlib.FMT_BINARY),
    "Readable.plist": plistlib.dumps(SETTINGS, fmt=plistlib.FMT_XML),
    "Store.sqlite": database(),
    "Notes.txt": b"Bread, butter & <jam>\nsecond line\n",
    "Bytes.bin": bytes(range(256)) * 4,
}


SIBLING = FOLDER.lower()
"""A folder beside `FOLDER` that a case-folding LIKE 'Documents/%' would take for it."""


def with_preview_files(spec: SyntheticBackup) -> SyntheticBackup:
    entries = [
        SyntheticDirectory(DOMAIN, FOLDER, protection_class=3),
        *(SyntheticFile(DOMAIN, f"{FOLDER}/{name}", content) for name, content in FILES.items()),
        SyntheticDirectory(DOMAIN, SIBLING, protection_class=3),
        SyntheticFile(DOMAIN, f"{SIBLING}/Other.txt", b"not in Documents"),
    ]
    return replace(spec, entries=(*spec.entries, *entries))
