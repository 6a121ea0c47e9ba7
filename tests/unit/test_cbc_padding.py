"""PKCS#7 padding as backups use it: 1 to 16 bytes, each holding the count."""

import pytest

from ios_backup_api.adapters.vault.cbc import padding_length


@pytest.mark.parametrize("count", range(1, 17))
def test_valid_padding_gives_its_length(count: int) -> None:
    assert padding_length(bytes(16 - count) + bytes([count]) * count) == count


@pytest.mark.parametrize(
    "block",
    [
        bytes(16),  # a count of 0
        bytes(15) + b"\x11",  # more than a block
        bytes(14) + b"\x01\x02",  # the count's other bytes differ
        bytes(13) + b"\x03\x02\x03",
        b"\x10" * 15 + b"\x0f" + b"",
    ],
)
def test_anything_else_is_no_padding(block: bytes) -> None:
    assert padding_length(block) is None


def test_a_count_longer_than_what_was_read_is_no_padding() -> None:
    assert padding_length(b"\x05\x05\x05") is None
