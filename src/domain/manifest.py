"""The manifest of an unlocked backup: its entries, and how clients query them."""

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from ios_backup_api.domain.errors import InvalidQueryError

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
FILE_ID_PATTERN = "^[0-9a-f]{40}$"
_FILE_ID = re.compile(FILE_ID_PATTERN)


class EntryKind(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"


class ManifestEntry(NamedTuple):
    """A tuple, not a frozen dataclass: a listing of every row builds hundreds of thousands, and a frozen
    dataclass costs five times as much to build (1.5 µs)."""

    file_id: str
    domain: str
    relative_path: str
    kind: EntryKind | None
    """None when neither the manifest's flags nor the file type of its mode tell."""
    size: int | None
    mode: int | None
    modified_at: datetime | None
    protection_class: int | None
    link_target: str | None


def check_paging(limit: int, offset: int) -> None:
    """A page's bounds, the same for the manifest and every view: `limit` 1..MAX_PAGE_SIZE, `offset` ≥ 0."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidQueryError(f"limit must be from 1 to {MAX_PAGE_SIZE}.")
    if offset < 0:
        raise InvalidQueryError("offset must not be negative.")


@dataclass(frozen=True, slots=True)
class FileQuery:
    """Entries filtered by exact domain, a SQL LIKE pattern on the relative path and kind, one page of them.

    `path_like` uses `%` and `_` with no escape character; ASCII letters match case-insensitively.
    Pages are ordered by domain, then relative path, by code point.
    """

    domain: str | None = None
    path_like: str | None = None
    kind: EntryKind | None = None
    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0
    parent: str | None = None
    """Only the entries directly in this folder: relative path `<parent>/<name>`, compared exactly (no
    wildcard, no case folding), `<name>` holding no `/`; "" for the domain's root (paths with no `/`, the
    root's own empty path left out)."""
    under: str | None = None
    """Only the entries below this folder, at any depth: relative path `<under>/…`, compared exactly."""

    def __post_init__(self) -> None:
        check_paging(self.limit, self.offset)


def is_direct_child(relative_path: str, parent: str) -> bool:
    """What `FileQuery.parent` selects (the reference the adapters are checked against)."""
    prefix = f"{parent}/" if parent else ""
    name = relative_path[len(prefix) :]
    return relative_path.startswith(prefix) and name != "" and "/" not in name


def is_below(relative_path: str, folder: str) -> bool:
    """What `FileQuery.under` selects."""
    return relative_path.startswith(f"{folder}/")


@dataclass(frozen=True, slots=True)
class FileId:
    """A manifest entry's id: SHA-1 of `domain-relativePath`, 40 lowercase hex characters. Checked here
    and nowhere else: whatever holds a `FileId` may build a payload's path from it."""

    hex: str

    def __post_init__(self) -> None:
        if _FILE_ID.fullmatch(self.hex) is None:
            raise InvalidQueryError("file_id must be 40 lowercase hexadecimal characters.")


def is_file_id(text: str) -> bool:
    return _FILE_ID.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class FilePage:
    items: list[ManifestEntry]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class EntryRun:
    """A page's worth of a listing of every match (the query's `limit` and `offset` say which), as its
    entries, or as their JSON lines when the manifest's reader writes those itself (SQLite writes them from
    the decoded records, with no Python per entry: a listing of every row is hundreds of thousands).

    `lines` are UTF-8, one JSON object and a newline per entry, each the ManifestEntry of docs/API.md; then
    `items` is empty. `count` is how many entries the run holds either way, `total` the filter's matches."""

    items: list[ManifestEntry]
    lines: bytes | None
    count: int
    total: int


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes `start` to `stop` (exclusive) of a file's plaintext."""

    start: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.start
