"""Real media files for the generated Photos library: JPEG photos and thumbnails, and a QuickTime movie."""

import io
import struct
from datetime import datetime

from PIL import Image

_EXIF_DATE_TIME_ORIGINAL = 0x9003
_EXIF_IFD = 0x8769


def jpeg(width: int, height: int, seed: int, taken_at: datetime | None = None) -> bytes:
    """A baseline JPEG of `width` x `height`: a gradient coloured by `seed` (the same seed, the same bytes),
    with EXIF DateTimeOriginal when `taken_at` is given."""
    tint = ((seed * 67) % 256, (seed * 151) % 256, (seed * 29) % 256)
    gradient = Image.linear_gradient("L").resize((width, height))
    channels = [gradient.point(lambda value, base=base: (value + base) % 256) for base in tint]
    image = Image.merge("RGB", channels)
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(_EXIF_IFD)[_EXIF_DATE_TIME_ORIGINAL] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def quicktime_movie(duration_seconds: float, width: int, height: int) -> bytes:
    """A minimal QuickTime file (`ftyp`, `moov` with its `mvhd` and one `tkhd`, an empty `mdat`): what file(1)
    and a demuxer recognise as a movie of that duration and size, with no frames to play."""
    timescale = 600
    duration = round(duration_seconds * timescale)
    identity = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _box(
        b"mvhd",
        struct.pack(">B3xIIII", 0, 0, 0, timescale, duration)
        + struct.pack(">IH10x", 0x10000, 0x100)
        + identity
        + bytes(24)
        + struct.pack(">I", 2),
    )
    tkhd = _box(
        b"tkhd",
        struct.pack(">I", 0x000003)  # version 0, enabled and in the movie
        + struct.pack(">IIIII", 0, 0, 1, 0, duration)
        + bytes(8)
        + struct.pack(">hhH2x", 0, 0, 0)
        + identity
        + struct.pack(">II", width << 16, height << 16),
    )
    ftyp = _box(b"ftyp", b"qt  " + struct.pack(">I", 0) + b"qt  ")
    return ftyp + _box(b"moov", mvhd + _box(b"trak", tkhd)) + _box(b"mdat", b"")


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload
