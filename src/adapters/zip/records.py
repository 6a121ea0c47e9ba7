"""The records of a ZIP file (APPNOTE 6.3.10) as bytes: local headers, data descriptors, the central directory
and its end, ZIP64 where a size or an offset needs it. Pure: no I/O."""

import stat
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

STORED = 0
DEFLATED = 8
LIMIT_32 = 0xFFFFFFFF
"""A 32-bit field holding this says "see the ZIP64 extra field"; any value from it up needs ZIP64."""
LIMIT_16 = 0xFFFF
_UTF8_NAME = 1 << 11
_DATA_DESCRIPTOR = 1 << 3
_VERSION_MADE_BY = (3 << 8) | 63  # Unix, APPNOTE 6.3: readers take the mode from the external attributes
_VERSION_NEEDED = 20
_VERSION_NEEDED_ZIP64 = 45
_MSDOS_DIRECTORY = 0x10
_ZIP64_EXTRA = 0x0001
_TIMESTAMP_EXTRA = 0x5455  # "UT": the modification time in Unix seconds, which unzip sets exactly
_EARLIEST_DOS = datetime(1980, 1, 1, tzinfo=UTC)
_LATEST_DOS = datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC)

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_DESCRIPTOR_32 = struct.Struct("<IIII")
_DESCRIPTOR_64 = struct.Struct("<IIQQ")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END_64 = struct.Struct("<IQHHIIQQQQ")
_END_64_LOCATOR = struct.Struct("<IIQI")


@dataclass(frozen=True, slots=True)
class EntryHead:
    """What a local header and its central record share."""

    name: bytes
    method: int
    modified_at: datetime | None
    mode: int
    """`st_mode`, file-type bits included."""
    streamed: bool
    """Its CRC-32 and sizes follow the data in a data descriptor (they are not known before)."""
    zip64: bool
    """Its sizes may reach 4 GiB: its local header has a ZIP64 extra field, its descriptor 8-byte sizes."""

    @property
    def flags(self) -> int:
        return _UTF8_NAME | (_DATA_DESCRIPTOR if self.streamed else 0)

    @property
    def version_needed(self) -> int:
        return _VERSION_NEEDED_ZIP64 if self.zip64 else _VERSION_NEEDED


def dos_date_time(moment: datetime | None) -> tuple[int, int]:
    """(time, date) in UTC, to the 2 seconds MS-DOS keeps, clamped to the years 1980-2107 it can hold."""
    if moment is None:
        moment = _EARLIEST_DOS
    moment = min(max(moment.astimezone(UTC), _EARLIEST_DOS), _LATEST_DOS)
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


def _timestamp_extra(moment: datetime | None) -> bytes:
    if moment is None:
        return b""
    seconds = int(moment.timestamp() // 1)
    if not -(1 << 31) <= seconds < 1 << 31:
        return b""
    return struct.pack("<HHBi", _TIMESTAMP_EXTRA, 5, 1, seconds)


def local_header(head: EntryHead, crc: int = 0, size: int = 0, compressed: int = 0) -> bytes:
    """`crc` and the sizes of a member known whole beforehand. A streamed member has them in its data
    descriptor; a stored one whose length is known before its bytes also has its sizes here (the format
    wants zeros, but a reader that streams the archive can't find the end of stored bytes without them)."""
    time, date = dos_date_time(head.modified_at)
    extra = _timestamp_extra(head.modified_at)
    size_32, compressed_32 = size, compressed
    if head.zip64:
        extra = struct.pack("<HHQQ", _ZIP64_EXTRA, 16, size, compressed) + extra
        size_32 = compressed_32 = LIMIT_32
    fields = (head.version_needed, head.flags, head.method, time, date, crc, compressed_32, size_32)
    return _LOCAL.pack(0x04034B50, *fields, len(head.name), len(extra)) + head.name + extra


def data_descriptor(head: EntryHead, crc: int, size: int, compressed: int) -> bytes:
    if head.zip64:
        return _DESCRIPTOR_64.pack(0x08074B50, crc, compressed, size)
    if max(size, compressed) >= LIMIT_32:
        raise ValueError(f"{head.name!r} grew to 4 GiB without the ZIP64 fields its header needed")
    return _DESCRIPTOR_32.pack(0x08074B50, crc, compressed, size)


def central_record(
    head: EntryHead, crc: int, size: int, compressed: int, offset: int, zip64_from: int = LIMIT_32
) -> bytes:
    """`zip64_from`: sizes and offsets from this up go in the ZIP64 extra field (only a test lowers it)."""
    time, date = dos_date_time(head.modified_at)
    large = [value for value in (size, compressed, offset) if value >= zip64_from]
    extra = _timestamp_extra(head.modified_at)
    if large:
        extra = struct.pack(f"<HH{len(large)}Q", _ZIP64_EXTRA, 8 * len(large), *large) + extra
    attributes = (head.mode & 0xFFFF) << 16 | (_MSDOS_DIRECTORY if stat.S_ISDIR(head.mode) else 0)
    version_needed = _VERSION_NEEDED_ZIP64 if large or head.zip64 else _VERSION_NEEDED
    return (
        _CENTRAL.pack(
            0x02014B50,
            _VERSION_MADE_BY,
            version_needed,
            head.flags,
            head.method,
            time,
            date,
            crc,
            LIMIT_32 if compressed >= zip64_from else compressed,
            LIMIT_32 if size >= zip64_from else size,
            len(head.name),
            len(extra),
            0,  # comment
            0,  # disk
            0,  # internal attributes
            attributes,
            LIMIT_32 if offset >= zip64_from else offset,
        )
        + head.name
        + extra
    )


def end_of_archive(
    entries: int, directory_size: int, directory_offset: int, zip64_from: int = LIMIT_32
) -> bytes:
    """The end of central directory record, after the ZIP64 ones when a count or an offset needs them."""
    if entries < min(LIMIT_16, zip64_from) and max(directory_size, directory_offset) < zip64_from:
        return _END.pack(0x06054B50, 0, 0, entries, entries, directory_size, directory_offset, 0)
    end_64_offset = directory_offset + directory_size
    end_64 = _END_64.pack(
        0x06064B50,
        _END_64.size - 12,
        _VERSION_MADE_BY,
        _VERSION_NEEDED_ZIP64,
        0,
        0,
        entries,
        entries,
        directory_size,
        directory_offset,
    )
    locator = _END_64_LOCATOR.pack(0x07064B50, 0, end_64_offset, 1)
    end = _END.pack(
        0x06054B50,
        0,
        0,
        min(entries, LIMIT_16),
        min(entries, LIMIT_16),
        min(directory_size, LIMIT_32),
        min(directory_offset, LIMIT_32),
        0,
    )
    return end_64 + locator + end


def may_reach_4_gib(size: int, method: int, zip64_from: int = LIMIT_32) -> bool:
    """Whether a member of `size` bytes may take 4 GiB (`zip64_from`) or more in the archive: deflate may grow
    what does not compress, by at most zlib's deflateBound (under 1/2048 plus a few bytes)."""
    bound = size + (size >> 11) + 64 if method == DEFLATED else size
    return bound >= zip64_from
