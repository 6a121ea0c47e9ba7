import pytest

from ios_backup_api.domain.manifest import ByteRange
from ios_backup_api.entrypoints.http.ranges import RangeNotSatisfiableError, requested_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", ByteRange(0, 1)),
        ("bytes=0-99", ByteRange(0, 100)),
        ("bytes=10-", ByteRange(10, 100)),
        ("bytes=90-500", ByteRange(90, 100)),
        ("bytes=-1", ByteRange(99, 100)),
        ("bytes=-500", ByteRange(0, 100)),
        ("bytes=99-99", ByteRange(99, 100)),
        ("bytes=5-2", None),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=-", None),
        ("garbage", None),
    ],
)
def test_ranges_follow_rfc_9110(header: str | None, expected: ByteRange | None) -> None:
    assert requested_range(header, 100) == expected


@pytest.mark.parametrize(
    ("header", "length"),
    [("bytes=100-", 100), ("bytes=100-200", 100), ("bytes=-0", 100), ("bytes=0-", 0), ("bytes=-5", 0)],
)
def test_unsatisfiable_ranges_report_the_length(header: str, length: int) -> None:
    with pytest.raises(RangeNotSatisfiableError) as raised:
        requested_range(header, length)
    assert raised.value.length == length
