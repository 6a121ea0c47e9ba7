"""What an archive of a selection holds: its members, named and typed, and how their bytes are compressed."""

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Compression(StrEnum):
    STORED = "stored"
    DEFLATE = "deflate"


class MemberKind(StrEnum):
    FILE = "file"
    FOLDER = "folder"
    SYMLINK = "symlink"


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """One entry of the archive. A file's bytes are `chunks` when streamed (at most `size` of them: fewer when
    its payload turned out short), else `data`; a symlink's `data` is its target; a folder has none."""

    name: str
    """`/`-separated, relative, never leaving the archive's folder; a folder's ends with `/`."""
    kind: MemberKind
    modified_at: datetime | None
    permissions: int
    """The mode's permission bits (`0o7777` at most); the writer adds the file-type bits of `kind`."""
    size: int
    data: bytes = b""
    chunks: AsyncGenerator[bytes, None] | None = None
