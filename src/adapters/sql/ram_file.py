"""A nameless file in RAM (tmpfs) that SQLite reads in place, so the plaintext of Manifest.db is held once.

SQLite can only open a database by path, and a memfd's path (/proc/self/fd/N) resolves to a name that does
not exist. So the file is created in a tmpfs folder, SQLite opens it while it is still empty, and its name
is removed at once: no plaintext ever has a name, and nothing outlives the process. Read-only connections
that queries run on side by side are opened then too (`readers`), as the name exists only that long.
"""

import io
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

_PREFIX = "ios-backup-api-"


class RamFile:
    """`file` is ours; `connection` is SQLite's, on the same nameless file, and so are `readers`: read-only
    connections, which take SQLite's locks on the file as usual (SQLite's `immutable` would not do: it takes
    the file's size once, when the connection opens it empty). All close when collected."""

    def __init__(
        self, fd: int, connection: sqlite3.Connection, readers: list[sqlite3.Connection] | None = None
    ) -> None:
        self.file: io.FileIO | None = io.FileIO(fd, "r+")
        self.connection: sqlite3.Connection | None = connection
        self.readers: list[sqlite3.Connection] = readers or []

    def close_file(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def close(self) -> None:
        self.close_file()
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        for reader in self.readers:
            reader.close()
        self.readers = []


class RamFiles:
    """Makes RAM files in `folder`, which the caller has checked to be a tmpfs (see `is_tmpfs`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def allocate(self, size: int, readers: int = 0, reserve: bool = True) -> RamFile | None:
        """A file of `size` bytes (all allocated: writing through a mapping can't fail for want of room),
        with `readers` read-only connections beside the writing one, or None when it can't be made or filled
        (no such folder, no room: a container's small /dev/shm). Without `reserve`, an empty file, which its
        writes fill (one that finds no room raises ENOSPC)."""
        try:
            fd, path = tempfile.mkstemp(prefix=_PREFIX, dir=self.folder)
        except OSError:
            return None
        connections: list[sqlite3.Connection] = []
        try:
            connections.append(sqlite3.connect(path, check_same_thread=False, isolation_level=None))
            # Each opens its own descriptor of the file now (SQLite opens the file with the connection).
            uri = f"file:{quote(path)}?mode=ro"
            for _ in range(readers):
                connections.append(
                    sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
                )
        except sqlite3.Error:
            for connection in connections:
                connection.close()
            connections = []
        finally:
            os.unlink(path)
        if not connections:
            os.close(fd)
            return None
        try:
            if reserve:
                os.posix_fallocate(fd, 0, size)
        except OSError:  # no room, or no fallocate
            os.close(fd)
            for connection in connections:
                connection.close()
            return None
        return RamFile(fd, connections[0], connections[1:])


def is_tmpfs(folder: Path, mounts: Path = Path("/proc/self/mounts")) -> bool:
    """Whether `folder` lies on a tmpfs (RAM), by the mount table; False where there is none to read."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        real = os.path.realpath(folder)
        table = mounts.read_text()
    except OSError:
        return False
    best, kind = "", ""
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind == "tmpfs"
