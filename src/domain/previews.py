"""What a file's page shows of its content: a picture or a player (by the file's name), or text, a
property list decoded, or a database's tables (by its bytes)."""

from dataclasses import dataclass
from enum import StrEnum


class PreviewKind(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    HEIC = "heic"
    """Shown as a JPEG the service converts it to (browsers decode no HEIC)."""
    CONTENTS = "contents"
    """Read to tell: text, a property list, an SQLite database, or nothing to show."""


_BY_EXTENSION = {
    **dict.fromkeys(("jpg", "jpeg", "png", "gif"), PreviewKind.IMAGE),
    **dict.fromkeys(("heic", "heif"), PreviewKind.HEIC),
    **dict.fromkeys(("m4a", "mp3", "wav", "aac", "oga", "ogg", "opus", "flac"), PreviewKind.AUDIO),
    **dict.fromkeys(("mp4", "m4v", "mov", "webm"), PreviewKind.VIDEO),
}


def preview_kind(relative_path: str) -> PreviewKind:
    """Browsers show JPEG, PNG and GIF and play these sounds and films themselves; HEIC they don't."""
    name = relative_path.rsplit("/", 1)[-1]
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return _BY_EXTENSION.get(extension, PreviewKind.CONTENTS)


@dataclass(frozen=True, slots=True)
class TextPreview:
    text: str
    truncated: bool
    """Only the first part of the text is shown."""
    decoded_from: str | None = None
    """What the text was decoded from (a binary property list), None for a file that is text."""


@dataclass(frozen=True, slots=True)
class TablePreview:
    name: str
    columns: list[str]
    rows: list[list[str]]
    """The first rows, each value as text (a blob as its size and first bytes)."""
    row_count: int


@dataclass(frozen=True, slots=True)
class DatabasePreview:
    tables: list[TablePreview]
    table_count: int


@dataclass(frozen=True, slots=True)
class NoPreview:
    reason: str
    """A sentence: why nothing of the content is shown."""


ContentPreview = TextPreview | DatabasePreview | NoPreview
