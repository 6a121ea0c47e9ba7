"""A Range header of thousands of digits: clipped like any number past the file, never a 500."""

import pytest

from ios_backup_api.domain.manifest import ByteRange
from ios_backup_api.entrypoints.http.ranges import RangeNotSatisfiableError, requested_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-" + "9" * 5000, ByteRange(0, 100)),
        ("bytes=-" + "9" * 5000, ByteRange(0, 100)),
        ("bytes=" + "0" * 5000 + "7-8", ByteRange(7, 9)),
    ],
)
def test_numbers_of_thousands_of_digits_are_clipped_not_parsed(header: str, expected: ByteRange) -> None:
    assert requested_range(header, 100) == expected


def test_a_start_of_thousands_of_digits_is_unsatisfiable() -> None:
    with pytest.raises(RangeNotSatisfiableError):
        requested_range("bytes=" + "9" * 5000 + "-", 100)
