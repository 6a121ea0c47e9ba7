"""Names of archive members for manifest entries: `<domain>/<relative_path>`, made safe to unpack.

A member never unpacks outside the folder it is unpacked in, whatever the manifest says: each domain is one
folder, a relative path is split on `/` only, empty and `.` parts are dropped, and a part that a system would
read as something else is escaped with `%XX` (a `..` part, a backslash, a control character; a `/` in a
domain). A symlink's target is resolved the same way and rewritten relative to the link so that it stays
inside that folder. Two entries that come to the same name are told apart by ` (2)`, ` (3)`… before the
extension; a folder met again is the same folder.
"""

from itertools import count

from ios_backup_api.domain.link_targets import confined_target

_ESCAPED = frozenset(chr(code) for code in range(0x20)) | {"\\", "\x7f"}
_MAX_NAME_BYTES = 0xFFFF  # a ZIP name's length is 16 bits


def _part(text: str) -> str:
    """One path part: no separator nor control character in it, never `.` or `..`, valid UTF-8."""
    escaped = "".join(f"%{ord(char):02X}" if char in _ESCAPED else char for char in text)
    escaped = escaped.encode("utf-8", "replace").decode()  # a lone surrogate becomes "?"
    if escaped in (".", ".."):
        return escaped.replace(".", "%2E")
    return escaped


def entry_parts(domain: str, relative_path: str) -> list[str]:
    """The member's path parts, its domain's folder first."""
    top = _part(domain.replace("/", "%2F")) or "_"
    return [top, *(_part(part) for part in relative_path.split("/") if part not in ("", "."))]


def link_target(link_parts: list[str], target: str) -> str:
    """`target`, as the link at `link_parts` would follow it, clamped to the archive's folder (an absolute
    target starts there), written relative to the link's folder, each part escaped as names are."""
    return confined_target(link_parts, target, _part)


class UniqueNames:
    """Hands out each name once. Holds a hash of every name given (a few dozen bytes a name): two names of
    one hash, as good as never met, would only number the second needlessly."""

    def __init__(self) -> None:
        self._folders: set[int] = set()
        self._others: set[int] = set()

    def folder(self, parts: list[str]) -> str | None:
        """`a/b/`; None when that folder was given already."""
        name = "/".join(parts)
        if hash(name) in self._folders:
            return None
        return self._claim(name, self._folders) + "/"

    def member(self, parts: list[str]) -> str:
        """`a/b.txt`, or `a/b (2).txt` when `a/b.txt` (a file's or a folder's) was given already."""
        return self._claim("/".join(parts), self._others)

    def _taken(self, name: str) -> bool:
        return hash(name) in self._folders or hash(name) in self._others

    def _claim(self, name: str, kind: set[int]) -> str:
        if self._taken(name):
            folder, _, base = name.rpartition("/")
            stem, dot, extension = base.rpartition(".")
            if not stem or kind is self._folders:  # no extension, a name starting with its only dot, a folder
                stem, dot, extension = base, "", ""
            prefix = f"{folder}/" if folder else ""
            name = next(
                candidate
                for number in count(2)
                if not self._taken(candidate := f"{prefix}{stem} ({number}){dot}{extension}")
            )
        kind.add(hash(name))
        return name


def fits(name: str) -> bool:
    return len(name.encode()) <= _MAX_NAME_BYTES
