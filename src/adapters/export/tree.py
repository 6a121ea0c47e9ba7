"""A destination folder written into without ever following a link that is in it: folders made as needed,
files written under a temporary name and renamed when whole, links made as links."""

import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _CLOEXEC | getattr(os, "O_BINARY", 0)
PARTIAL_PREFIX = ".ios-backup-api-partial-"
"""A file being written is named this and a digest of its name, in its folder; a run that stops leaves it
there, and the next run writes it again from the start."""


class TreeError(OSError):
    """An entry that can't be written where it belongs; the message is one sentence."""


class DestinationTree:
    """Names below `root` (a folder that exists). A folder on an entry's way that is a link, or a file where
    a folder must be, is reported (`TreeError`), never followed or replaced."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._folders: set[tuple[str, ...]] = {()}

    def path(self, parts: Sequence[str]) -> Path:
        return self.root.joinpath(*parts)

    def folder(self, parts: Sequence[str]) -> Path:
        """The folder at `parts`, made (with its parents) where missing."""
        for depth in range(1, len(parts) + 1):
            prefix = tuple(parts[:depth])
            if prefix in self._folders:
                continue
            path = self.path(prefix)
            try:
                os.mkdir(path, 0o755)
            except FileExistsError:
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    raise TreeError(f"{_shown(prefix)} is in the way of a folder (it is no folder)") from None
            self._folders.add(prefix)
        return self.path(parts)

    def is_complete(self, parts: Sequence[str], length: int, modified_ns: int | None) -> bool:
        """Whether a regular file of `length` bytes, modified at `modified_ns` (when known), is there: an
        earlier run wrote it whole (a file is named so only once it is)."""
        try:
            status = os.lstat(self.path(parts))
        except OSError:
            return False
        return (
            stat.S_ISREG(status.st_mode)
            and status.st_size == length
            and (modified_ns is None or status.st_mtime_ns == modified_ns)
        )

    def partial(self, parts: Sequence[str]) -> "PartialFile":
        """A file being written at `parts`, its folders made."""
        folder = self.folder(parts[:-1])
        return PartialFile(folder / _temporary_name(parts[-1]), folder / parts[-1])

    def link(self, parts: Sequence[str], target: str, modified_ns: int | None) -> bool:
        """A link at `parts` to `target`; False when the very link is there already. An entry of another
        kind in its place is reported, not replaced."""
        path = self.folder(parts[:-1]) / parts[-1]
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            status = None
        if status is not None:
            if not stat.S_ISLNK(status.st_mode):
                raise TreeError(f"{_shown(parts)} is in the way of a link (it is no link)")
            if os.readlink(path) == target:
                _set_times(path, modified_ns)
                return False
        temporary = path.with_name(_temporary_name(path.name))
        temporary.unlink(missing_ok=True)
        os.symlink(target, temporary)
        _set_times(temporary, modified_ns)
        os.replace(temporary, path)
        return True

    def set_folder_times(self, parts: Sequence[str], modified_ns: int) -> None:
        _set_times(self.path(parts), modified_ns)


class PartialFile:
    """Written at `temporary`, given its time, then renamed to `final` by `finish`; `discard` removes it."""

    def __init__(self, temporary: Path, final: Path) -> None:
        self.temporary = temporary
        self.final = final
        self._fd = os.open(temporary, _WRITE_FLAGS, 0o644)

    @property
    def fd(self) -> int:
        return self._fd

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def finish(self, modified_ns: int | None) -> None:
        if modified_ns is not None:
            os.utime(self._fd, ns=(modified_ns, modified_ns))
        os.close(self._fd)
        self._fd = -1
        try:
            if stat.S_ISDIR(os.lstat(self.final).st_mode):
                raise TreeError(f"{self.final.name} is in the way of a file (it is a folder)")
        except FileNotFoundError:
            pass
        except TreeError:
            self.temporary.unlink(missing_ok=True)
            raise
        os.replace(self.temporary, self.final)

    def discard(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.temporary.unlink(missing_ok=True)


def _temporary_name(name: str) -> str:
    """The same for the same name (a rerun writes over what a stopped run left), short whatever its length."""
    return f"{PARTIAL_PREFIX}{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:24]}"


def _set_times(path: Path, modified_ns: int | None) -> None:
    if modified_ns is not None:
        os.utime(path, ns=(modified_ns, modified_ns), follow_symlinks=False)


def _shown(parts: Sequence[str]) -> str:
    return "/".join(parts)
