"""A nameless file in RAM (tmpfs) that SQLite reads in place, so the plaintext of Manifest.db is held once.

SQLite can only open a database by path, and a memfd's path (/proc/self/fd/N) resolves to a name that does
not exist. So the file is created in /dev/shm (when that is a tmpfs), SQLite opens it while it is still
empty, and its name is removed at once: no plaintext ever has a name, and nothing outlives the process.
Where there is no such tmpfs, or no room in it, there is no RAM file and the caller falls back to
`sqlite3.Connection.deserialize` (which holds a second copy while it loads).
"""

import contextlib
import io
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

_TMPFS = Path("/dev/shm")  # noqa: S108 - mkstemp (O_EXCL, 0600), and unlinked while still empty
_PREFIX = "ios-backup-api-"


class RamFile:
    """`file` is ours; `connection` is SQLite's, on the same nameless file. Both close when collected."""

    def __init__(self, fd: int, connection: sqlite3.Connection) -> None:
        self.file: io.FileIO | None = io.FileIO(fd, "r+")
        self.connection: sqlite3.Connection | None = connection

    def close_file(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def close(self) -> None:
        self.close_file()
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def ram_file(size: int) -> RamFile | None:
    """A file of `size` bytes (all allocated: writing through a mapping can't fail for want of room),
    or None where there is no tmpfs to hold it."""
    if not _tmpfs_available():
        return None
    try:
        fd, path = tempfile.mkstemp(prefix=_PREFIX, dir=_TMPFS)
    except OSError:
        return None
    connection = None
    try:
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except sqlite3.Error:
        pass
    finally:
        os.unlink(path)
    if connection is None:
        os.close(fd)
        return None
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError:  # no room (a container's small /dev/shm), or no fallocate: no RAM file
        os.close(fd)
        connection.close()
        return None
    return RamFile(fd, connection)


def _tmpfs_available() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError), open("/proc/self/mounts") as mounts:
        return any(line.split()[1:3] == [str(_TMPFS), "tmpfs"] for line in mounts if line.strip())
    return False
