"""`Range: bytes=…` (RFC 9110 §14): one range, clipped to the file; anything else serves the whole file."""

import re

from ios_backup_api.domain.manifest import ByteRange

_ONE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
# Numbers of more digits are past any file's length: read as this, never parsed (int() refuses 4,300 digits).
_MAX_DIGITS = 40


class RangeNotSatisfiableError(Exception):
    """The one range asked for starts past the end of the file (416, with the length in Content-Range)."""

    def __init__(self, length: int) -> None:
        super().__init__(f"The requested range is not satisfiable; the file has {length} bytes.")
        self.length = length


def requested_range(header: str | None, length: int) -> ByteRange | None:
    """The range to send, or None for the whole file (no header, several ranges or an invalid one)."""
    if header is None:
        return None
    match = _ONE_RANGE.fullmatch(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = _number(last)
        if suffix == 0 or length == 0:
            raise RangeNotSatisfiableError(length)
        return ByteRange(max(0, length - suffix), length)
    start = _number(first)
    if last and _number(last) < start:
        return None  # syntactically invalid: ignored, as RFC 9110 allows
    if start >= length:
        raise RangeNotSatisfiableError(length)
    stop = min(length, _number(last) + 1) if last else length
    return ByteRange(start, stop)


def _number(digits: str) -> int:
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= _MAX_DIGITS else 10**_MAX_DIGITS
