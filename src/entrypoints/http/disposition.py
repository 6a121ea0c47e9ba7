"""`Content-Disposition` and `Content-Type` for a file's base name (RFC 6266, RFC 5987)."""

import mimetypes
import unicodedata
from urllib.parse import quote


def content_disposition(relative_path: str) -> str:
    name = relative_path.rsplit("/", 1)[-1] or "file"
    fallback = _ascii_fallback(name)
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def content_type(relative_path: str) -> str:
    guessed, _ = mimetypes.guess_type(relative_path.rsplit("/", 1)[-1], strict=False)
    return guessed or "application/octet-stream"


def _ascii_fallback(name: str) -> str:
    # Accents fold away (é -> e); any other non-ASCII character, quote or backslash becomes "_".
    folded = (char for char in unicodedata.normalize("NFKD", name) if not unicodedata.combining(char))
    return "".join(
        char if char.isascii() and char.isprintable() and char not in '"\\' else "_" for char in folded
    )
