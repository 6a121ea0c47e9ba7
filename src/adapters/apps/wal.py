"""The committed frames of an SQLite write-ahead log, applied to a copy of its database, as SQLite's own
recovery reads them (https://www.sqlite.org/fileformat2.html#walformat).

A frame counts when its salts are the header's and its checksum (cumulative from the header's) holds; the
first that fails ends the log. Of the frames that count, those up to the last commit frame (one that records
the database's size) are applied, in order; the rest belong to a transaction that never committed.
"""

import mmap
import struct
from array import array
from sys import byteorder

_MAGIC_LITTLE = 0x377F0682
_MAGIC_BIG = 0x377F0683
_VERSION = 3007000
_HEADER = struct.Struct(">8I")
_FRAME = struct.Struct(">6I")
_MASK = 0xFFFFFFFF
_DATABASE_MAGIC = b"SQLite format 3\x00"


class WalMismatchError(ValueError):
    """The log's pages are not the database's size: SQLite would not read the two together."""


def applied(database: bytes | bytearray, wal: bytes | bytearray) -> bytearray:
    """A copy of `database` with the committed frames of `wal` (see `apply`)."""
    result = bytearray(database)
    apply(result, wal)
    return result


def apply(result: bytearray | mmap.mmap, wal: bytes | bytearray) -> None:
    """Writes the committed frames of `wal` into the database `result`, in place (no second copy of a large
    database; a RAM file's mapping is resized), and marks it a rollback-journal database (so that it opens
    without a log). A log SQLite would ignore (no valid header, no committed frame) leaves the pages as they
    were, and so does an empty database (SQLite deletes the log of a database of no pages before reading it);
    raises `WalMismatchError` when the log's page size is not the database's, leaving `result` as it was."""
    header = _header(wal) if result else None
    if header is not None:
        page_size, salts, checksum, big_endian = header
        if len(result) >= 100 and _page_size_of(result) != page_size:
            raise WalMismatchError(f"the log's pages are {page_size} bytes, the database's are not")
        frames, pages = _committed(wal, page_size, salts, checksum, big_endian)
        if pages:
            for offset, page_number in frames:
                start = (page_number - 1) * page_size
                if len(result) < start + page_size:
                    _resize(result, start + page_size)
                result[start : start + page_size] = wal[offset : offset + page_size]
            _resize(result, pages * page_size)
    if result[:16] == _DATABASE_MAGIC and len(result) >= 20:
        result[18:20] = b"\x01\x01"  # the legacy (rollback journal) format: there is no log beside it now


def _resize(result: bytearray | mmap.mmap, size: int) -> None:
    """Cut or grow (with zeros) to `size` bytes."""
    if isinstance(result, mmap.mmap):
        if len(result) != size:
            result.resize(size)
    elif len(result) < size:
        result.extend(bytes(size - len(result)))
    else:
        del result[size:]


def _page_size_of(database: bytearray | mmap.mmap) -> int:
    (value,) = struct.unpack_from(">H", database, 16)
    return 65536 if value == 1 else value


def _header(wal: bytes | bytearray) -> tuple[int, tuple[int, int], tuple[int, int], bool] | None:
    if len(wal) < _HEADER.size:
        return None
    magic, version, page_size, _, salt_1, salt_2, sum_1, sum_2 = _HEADER.unpack_from(wal)
    if magic not in (_MAGIC_LITTLE, _MAGIC_BIG) or version != _VERSION:
        return None
    if not 512 <= page_size <= 65536 or page_size & (page_size - 1):
        return None
    big_endian = magic == _MAGIC_BIG
    if _checksum(bytes(wal[:24]), (0, 0), big_endian) != (sum_1, sum_2):
        return None
    return page_size, (salt_1, salt_2), (sum_1, sum_2), big_endian


def _committed(
    wal: bytes | bytearray,
    page_size: int,
    salts: tuple[int, int],
    checksum: tuple[int, int],
    big_endian: bool,
) -> tuple[list[tuple[int, int]], int]:
    """((offset of the page data, page number) of each frame up to the last commit, the database's size in
    pages after it); ([], 0) when no transaction committed."""
    frames: list[tuple[int, int]] = []
    committed: list[tuple[int, int]] = []
    pages = 0
    offset = _HEADER.size
    frame_size = _FRAME.size + page_size
    view = memoryview(wal)
    while offset + frame_size <= len(wal):
        page_number, size_after, salt_1, salt_2, sum_1, sum_2 = _FRAME.unpack_from(wal, offset)
        if (salt_1, salt_2) != salts or page_number == 0:
            break
        checksum = _checksum(view[offset : offset + 8], checksum, big_endian)
        checksum = _checksum(view[offset + _FRAME.size : offset + frame_size], checksum, big_endian)
        if checksum != (sum_1, sum_2):
            break
        frames.append((offset + _FRAME.size, page_number))
        if size_after:
            committed, pages = list(frames), size_after
        offset += frame_size
    return committed, pages


def _checksum(data: bytes | memoryview, start: tuple[int, int], big_endian: bool) -> tuple[int, int]:
    """SQLite's WAL checksum: Fibonacci-weighted sums of the 32-bit words, in the log's byte order."""
    words = array("I", bytes(data))
    if big_endian != (byteorder == "big"):
        words.byteswap()
    s1, s2 = start
    for index in range(0, len(words), 2):
        s1 = (s1 + words[index] + s2) & _MASK
        s2 = (s2 + words[index + 1] + s1) & _MASK
    return s1, s2
