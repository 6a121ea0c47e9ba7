"""What a paged manifest's records decoding takes from the file at once, and what the kept matches hold: both
bounded whatever the manifest holds."""

from array import array
from collections import deque
from typing import Any

from ios_backup_api.adapters.vault import manifest_records
from ios_backup_api.adapters.vault.matches import MatchCache


def _taken(rows: list[tuple[Any, ...]]) -> tuple[int, int]:
    """(rows taken into the batch, rows left in the cursor)."""
    cursor = iter(rows)
    pending: deque[tuple[Any, ...]] = deque()
    manifest_records._take(cursor, pending)
    return len(pending), sum(1 for _ in cursor)


def test_a_batch_of_real_records_takes_its_row_count() -> None:
    rows = [(n, bytes(700), 800) for n in range(1000)]
    assert _taken(rows) == (manifest_records._BATCH, 1000 - manifest_records._BATCH)


def test_a_batch_of_records_as_large_as_are_read_stops_at_its_bytes() -> None:
    rows = [(n, bytes(100 * 1024), 0) for n in range(1000)]  # the largest record that is fetched
    assert _taken(rows) == (11, 989)  # 1,100 KiB: the first past 1 MiB ends it


def test_rows_without_a_record_weigh_nothing_in_a_batch() -> None:
    rows = [(n, None, 0) for n in range(600)]
    assert _taken(rows) == (manifest_records._BATCH, 600 - manifest_records._BATCH)


def test_filters_that_match_nothing_are_evicted_too() -> None:
    cache = MatchCache(capacity=4)
    for number in range(10):
        cache.put((f"Domain{number}", None, None, None, None), array("i"))
    held = [cache.get((f"Domain{number}", None, None, None, None)) for number in range(10)]
    assert [matches is not None for matches in held] == [False] * 6 + [True] * 4
