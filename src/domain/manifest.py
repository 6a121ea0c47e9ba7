"""The manifest of an unlocked backup: its entries, and how clients query them."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


class EntryKind(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    file_id: str
    domain: str
    relative_path: str
    kind: EntryKind
    size: int | None
    mode: int | None
    modified_at: datetime | None
    protection_class: int | None
    link_target: str | None


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

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be from 1 to {MAX_PAGE_SIZE}")
        if self.offset < 0:
            raise ValueError("offset must not be negative")


@dataclass(frozen=True, slots=True)
class FilePage:
    items: list[ManifestEntry]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes `start` to `stop` (exclusive) of a file's plaintext."""

    start: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.start
