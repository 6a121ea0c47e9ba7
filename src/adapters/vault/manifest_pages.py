"""Manifest.db read page by page from the backup's own file, each page decrypted as SQLite asks for it: no
plaintext file, no buffer of the whole manifest.

CBC lets any run of blocks be decrypted alone: its IV is the ciphertext block before it (the file's first
block has the zero IV). An SQLite VFS (apsw's; the standard library's sqlite3 has no VFS of Python's own)
answers each read of the database from the ciphertext that holds it. The database is opened immutable and
read-only: SQLite takes no lock, opens no journal and writes nothing; a connection can open no other file
through this VFS.
"""

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import apsw
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ios_backup_api.adapters.vault.cbc import BLOCK_SIZE, ZERO_IV

VFS_NAME: Final = "ios-backup-api-pages"
_URI_KEY: Final = "pages"
_WAL_VERSION = 2
_LEGACY_VERSION = 1
_IMMUTABLE = apsw.SQLITE_IOCAP_IMMUTABLE
READ_AHEAD = 256 << 10
"""What one read takes of a file SQLite is scanning (its third read in a row that follows the one before):
one pread and one decryption for 64 pages, not one each."""
_SCAN = 2


class ManifestPages:
    """The plaintext of a Manifest.db, `length` bytes, read from `fd` (owned, read-only) on demand:
    decrypted with `key`, or as it is without one. Thread-safe: each read is one `pread` and its own CBC
    context. The descriptor is closed once its maker and every file SQLite opened of it have let it go
    (`release`): never while a connection could still read it, so a read never meets a reused descriptor."""

    def __init__(self, fd: int, length: int, key: bytes | None) -> None:
        self._fd = fd
        self.length = length
        self._aes = None if key is None else algorithms.AES(key)
        self._holders = 1
        self._holding = threading.Lock()

    def hold(self) -> None:
        with self._holding:
            if not self._holders:
                raise ValueError("these pages were released")
            self._holders += 1

    def release(self) -> None:
        with self._holding:
            self._holders -= 1
            if self._holders:
                return
        os.close(self._fd)

    def read(self, amount: int, offset: int) -> bytes:
        """The plaintext bytes `[offset, offset + amount)`, fewer at the end of the database."""
        stop = min(offset + amount, self.length)
        if stop <= offset:
            return b""
        if self._aes is None:
            data = os.pread(self._fd, stop - offset, offset)
        else:
            data = self._decrypted(offset, stop)
        if offset <= 18 < 20 <= offset + len(data) and data[18 - offset] == _WAL_VERSION:
            # A WAL database without its WAL file (none is read): SQLite reads it as a rollback-journal one
            # (as the in-memory load does: both version bytes 1 when the first is 2).
            at = 18 - offset
            data = data[:at] + bytes((_LEGACY_VERSION, _LEGACY_VERSION)) + data[at + 2 :]
        return data

    def _decrypted(self, offset: int, stop: int) -> bytes:
        assert self._aes is not None
        first = offset // BLOCK_SIZE * BLOCK_SIZE
        last = -(-stop // BLOCK_SIZE) * BLOCK_SIZE
        if first:
            data = os.pread(self._fd, last - first + BLOCK_SIZE, first - BLOCK_SIZE)
            iv, blocks = data[:BLOCK_SIZE], data[BLOCK_SIZE:]
        else:
            iv, blocks = ZERO_IV, os.pread(self._fd, last, 0)
        blocks = blocks[: len(blocks) // BLOCK_SIZE * BLOCK_SIZE]  # a file cut short meanwhile
        plain = Cipher(self._aes, modes.CBC(iv)).decryptor().update(blocks)
        return plain[offset - first : stop - first]


class PagesFile:
    """What SQLite sees of a ManifestPages: a read-only, immutable file (no lock to take, nothing to sync)."""

    def __init__(self, pages: ManifestPages) -> None:
        pages.hold()
        self._pages: ManifestPages | None = pages
        self._next = -1
        self._run = 0
        self._ahead = b""
        self._ahead_at = 0

    def xRead(self, amount: int, offset: int) -> bytes:
        """A connection reads on one thread at a time: what it read ahead is its own."""
        start = offset - self._ahead_at
        if start >= 0 and offset + amount <= self._ahead_at + len(self._ahead):
            self._next = offset + amount
            return self._ahead[start : start + amount]
        self._run = self._run + 1 if offset == self._next else 0
        self._next = offset + amount
        if self._run < _SCAN:
            return self._open.read(amount, offset)
        self._ahead, self._ahead_at = self._open.read(max(amount, READ_AHEAD), offset), offset
        return self._ahead[:amount]

    def xFileSize(self) -> int:
        return self._open.length

    @property
    def _open(self) -> ManifestPages:
        if self._pages is None:
            raise apsw.IOError("the manifest was closed")
        return self._pages

    def xWrite(self, data: bytes, offset: int) -> None:
        raise apsw.ReadOnlyError("a backup's manifest is never written")

    def xTruncate(self, size: int) -> None:
        raise apsw.ReadOnlyError("a backup's manifest is never written")

    def xSync(self, flags: int) -> None:
        return None

    def xLock(self, level: int) -> None:
        return None

    def xUnlock(self, level: int) -> None:
        return None

    def xCheckReservedLock(self) -> bool:
        return False

    def xFileControl(self, op: int, pointer: int) -> bool:
        return False

    def xSectorSize(self) -> int:
        return 4096

    def xDeviceCharacteristics(self) -> int:
        return _IMMUTABLE

    def xClose(self) -> None:
        pages, self._pages = self._pages, None
        if pages is not None:
            pages.release()


class _PagesVFS(apsw.VFS):
    """Opens only the manifests registered with it, by the token in their URI; any other file (a journal, a
    temporary file) is refused, so nothing is ever written through it."""

    def __init__(self) -> None:
        super().__init__(VFS_NAME, "")
        self._open: dict[str, ManifestPages] = {}
        self._lock = threading.Lock()

    def xOpen(self, name: object, flags: list[int]) -> PagesFile:  # type: ignore[override]
        token = name.uri_parameter(_URI_KEY) if isinstance(name, apsw.URIFilename) else None
        with self._lock:
            pages = self._open.get(token or "")
        if pages is None:
            raise apsw.CantOpenError("only a registered manifest is opened through this VFS")
        return PagesFile(pages)

    @contextmanager
    def registered(self, pages: ManifestPages) -> Iterator[str]:
        token = secrets.token_hex(16)
        with self._lock:
            self._open[token] = pages
        try:
            yield f"file:manifest?mode=ro&immutable=1&{_URI_KEY}={token}"
        finally:
            with self._lock:
                del self._open[token]


_vfs: _PagesVFS | None = None
_vfs_lock = threading.Lock()


def pages_vfs() -> _PagesVFS:
    """The process's one VFS of manifest pages, registered with SQLite on first use."""
    global _vfs
    with _vfs_lock:
        if _vfs is None:
            _vfs = _PagesVFS()
        return _vfs
