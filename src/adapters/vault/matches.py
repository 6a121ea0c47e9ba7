"""The ordered row ids matching each recent filter of one manifest: the manifest never changes, so a
filter's matches are found once, and every page and total of it is then a slice and a length."""

from array import array
from collections import OrderedDict

Filter = tuple[str | None, str | None, int | None, str | None, str | None]
"""(domain, path_like, flags, parent, under)."""


class MatchCache:
    """Least recently used first out, holding at most `capacity` row ids in all (4 or 8 bytes each)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._held = 0
        self._matches: OrderedDict[Filter, array[int]] = OrderedDict()

    def get(self, key: Filter) -> "array[int] | None":
        matches = self._matches.get(key)
        if matches is not None:
            self._matches.move_to_end(key)
        return matches

    def put(self, key: Filter, matches: "array[int]") -> None:
        if len(matches) > self._capacity:
            return
        old = self._matches.pop(key, None)
        if old is not None:
            self._held -= len(old)
        self._matches[key] = matches
        self._held += len(matches)
        while self._held > self._capacity:
            _, dropped = self._matches.popitem(last=False)
            self._held -= len(dropped)

    def clear(self) -> None:
        self._matches.clear()
        self._held = 0
