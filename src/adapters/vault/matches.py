"""The ordered row ids matching each recent filter of one manifest: the manifest never changes, so a
filter's matches are found once, and every page and total of it is then a slice and a length."""

from array import array
from collections import OrderedDict
from typing import TypeAlias

Filter = tuple[str | None, str | None, int | None, str | None, str | None]
"""(domain, path_like, flags, parent, under)."""
Matches: TypeAlias = "array[int] | range"
"""A filter's matches in the order; a run of consecutive ones may be a range, which holds no ids."""


def _held(matches: Matches) -> int:
    # At least one: filters that match nothing are evicted too, not kept for as long as the manifest is open.
    return 1 if isinstance(matches, range) else max(1, len(matches))


class MatchCache:
    """Least recently used first out, holding at most `capacity` row ids in all (4 or 8 bytes each; a range
    counts as one)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._held = 0
        self._matches: OrderedDict[Filter, Matches] = OrderedDict()

    def get(self, key: Filter) -> "Matches | None":
        matches = self._matches.get(key)
        if matches is not None:
            self._matches.move_to_end(key)
        return matches

    def put(self, key: Filter, matches: Matches) -> None:
        if _held(matches) > self._capacity:
            return
        old = self._matches.pop(key, None)
        if old is not None:
            self._held -= _held(old)
        self._matches[key] = matches
        self._held += _held(matches)
        while self._held > self._capacity:
            _, dropped = self._matches.popitem(last=False)
            self._held -= _held(dropped)

    def clear(self) -> None:
        self._matches.clear()
        self._held = 0
