"""Every file the service reads inside a backup folder, opened one way: below the backup folder no symlink is
followed, and only regular files are read. A link, a FIFO, a device or a folder where a file should be is
reported as a missing file (`FileNotFoundError`), so each caller answers it as it answers a missing one."""

import errno
import io
import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must never wait for a writer
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC | getattr(os, "O_BINARY", 0)
_DIR_FLAGS = os.O_RDONLY | _NOFOLLOW | _DIRECTORY | _CLOEXEC


class FolderHandle:
    """A backup folder held open by descriptor: files opened through it stay in that folder even when its
    path is later replaced (by a link to somewhere else, say). The descriptor closes with the last
    reference to it."""

    def __init__(self, folder: Path) -> None:
        self._fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _CLOEXEC)

    def open(self, relative: str) -> io.FileIO:
        return open_regular(self._fd, relative)

    def stat(self, relative: str) -> os.stat_result:
        """The file's status without following links; raises `FileNotFoundError` for anything irregular."""
        with self.open(relative) as file:
            return os.fstat(file.fileno())

    def __del__(self) -> None:
        fd, self._fd = getattr(self, "_fd", -1), -1
        if fd >= 0:
            os.close(fd)


def open_regular(folder: Path | int, relative: str) -> io.FileIO:
    """`relative` (names joined by "/") inside `folder` (a path, or a descriptor of it), read-only and
    unbuffered. The folder itself may be a link (the library checked where it leads); nothing below it is
    followed. Raises `FileNotFoundError` for a missing or irregular file, `OSError` for other failures."""
    *folders, name = relative.split("/")
    if not name or any(part in ("", ".", "..") for part in (*folders, name)):
        raise ValueError(f"not a relative path inside a backup: {relative!r}")
    owned = isinstance(folder, Path)
    fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _CLOEXEC) if isinstance(folder, Path) else folder
    try:
        for part in folders:
            inner = _open_at(part, _DIR_FLAGS, fd)
            if owned:
                os.close(fd)
            fd, owned = inner, True
        file_fd = _open_at(name, _FILE_FLAGS, fd)
    finally:
        if owned:
            os.close(fd)
    try:
        if not stat.S_ISREG(os.fstat(file_fd).st_mode):
            raise FileNotFoundError(errno.ENOENT, "not a regular file", relative)
        return io.FileIO(file_fd, "r", closefd=True)
    except BaseException:
        os.close(file_fd)
        raise


def _open_at(name: str, flags: int, folder_fd: int) -> int:
    try:
        return os.open(name, flags, dir_fd=folder_fd)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):  # a link, or a file where a folder was
            raise FileNotFoundError(errno.ENOENT, "a link or no folder", name) from None
        raise
