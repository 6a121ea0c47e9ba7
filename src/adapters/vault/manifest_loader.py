"""Manifest.db (or Manifest.mbdb) from a backup folder into memory, decrypted there: never onto disk."""

import os
import threading
from pathlib import Path

from ios_backup_api.adapters.backup_folder.layout import ManifestFormat
from ios_backup_api.adapters.backup_folder.opening import open_regular
from ios_backup_api.adapters.sql.ram_file import RamFiles
from ios_backup_api.adapters.vault import mbdb, paged_manifest
from ios_backup_api.adapters.vault.manifest_buffer import ManifestBuffer, file_fingerprint
from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase
from ios_backup_api.adapters.vault.paged_manifest import pages_of
from ios_backup_api.adapters.vault.reading import ReadStopped


class ManifestLoader:
    """`ram_files` holds the plaintext where SQLite reads it in place; None (or a RAM file that can't be
    made or filled) means SQLite's own copy. Manifests of `parallel_from` bytes or more are decrypted by
    two threads; only those of at most `read_ahead_max` bytes are read before the passphrase is known to be
    right. These are the operator's choice (settings), and the vault's contract suite runs over each way of
    holding and decrypting."""

    def __init__(
        self,
        ram_files: RamFiles | None,
        parallel_from: int,
        read_ahead_max: int = 512 << 20,
        paged_from: int | None = None,
    ) -> None:
        self._ram_files = ram_files
        self._parallel_from = parallel_from
        self._read_ahead_max = read_ahead_max
        self._paged_from = paged_from
        """A Manifest.db of this size or more is read page by page from its file (see paged_manifest), never
        held whole in memory; None: every one is held in memory."""

    @property
    def read_ahead_max(self) -> int:
        return self._read_ahead_max

    def read(self, path: Path, stop: threading.Event | None = None) -> ManifestBuffer:
        """The file's bytes. Blocking; raises `ReadStopped` once `stop` is set (see `ManifestBuffer.read`)."""
        return ManifestBuffer.read(path, self._ram_files, stop)

    def read_ahead(self, path: Path, stop: threading.Event) -> ManifestBuffer | None:
        """The file's bytes while the passphrase's key is being derived, before anyone knows the passphrase is
        right: only for a file of at most `read_ahead_max` bytes (a file claiming gigabytes is read once the
        key unlocked the keybag, so wrong guesses cost no memory), and only until `stop` is set (the attempt
        failed or went away: what was read is freed). Blocking; None when it is not read or was stopped."""
        try:
            size = os.lstat(path).st_size
        except OSError:
            return None  # the load reads the file itself, and reports what is wrong
        if size > self._read_ahead_max or stop.is_set():  # too large, or its attempt ended already
            return None
        if self._paged(size):
            return None  # it will be read page by page, not whole
        try:
            return self.read(path, stop)
        except ReadStopped:
            return None

    def load(
        self,
        path: Path,
        manifest_key: bytes | None,
        read_ahead: ManifestBuffer | None = None,
        manifest_format: ManifestFormat = ManifestFormat.SQLITE,
    ) -> ManifestDatabase:
        """Reads (and with `manifest_key`, decrypts) Manifest.db into memory; `read_ahead` is its bytes read
        earlier, used when the file has not changed since (and wiped either way). A Manifest.mbdb is loaded
        into an in-memory database of the same Files table. Blocking: run it in a worker thread. Raises
        `CorruptBackupError` when it is missing, badly padded or no usable database."""
        if manifest_format is ManifestFormat.SQLITE:
            paged = self._load_paged(path, manifest_key)
            if paged is not None:
                if read_ahead is not None:
                    read_ahead.wipe()
                return paged
        buffer = read_ahead
        if buffer is None or not buffer.is_current(file_fingerprint(path)):
            if buffer is not None:
                buffer.wipe()
            buffer = self.read(path)
        if manifest_format is ManifestFormat.MBDB:
            connection, length = buffer.open_records(mbdb.loaded)
            return ManifestDatabase.opened(connection, length, flat_payloads=True)
        connection, length = buffer.open_database(manifest_key, self._parallel_from)
        return ManifestDatabase.opened(connection, length, readers=buffer.take_readers())

    def _paged(self, size: int) -> bool:
        return self._paged_from is not None and size >= self._paged_from

    def _load_paged(self, path: Path, manifest_key: bytes | None) -> ManifestDatabase | None:
        """The manifest read page by page when it is large enough to be, and sound enough: None sends any
        other to the in-memory load, which reports what is wrong with it as it always has."""
        try:
            with open_regular(path.parent, path.name) as file:
                if not self._paged(os.fstat(file.fileno()).st_size):
                    return None
                fd = os.dup(file.fileno())
        except OSError:
            return None  # the in-memory load reads the file itself, and reports what is wrong
        pages = pages_of(fd, manifest_key)
        # None also for a Files table not declared as a backup's: it is held in memory, as it declares.
        return None if pages is None else paged_manifest.opened(pages, pages.length)

    def write_plaintext(
        self, path: Path, manifest_key: bytes | None, manifest_format: ManifestFormat, target: int
    ) -> int:
        """The manifest's plaintext to the descriptor `target`: Manifest.db decrypted with `manifest_key`
        (as `load` decrypts it) or as it is without one, a Manifest.mbdb (never encrypted) as it is. Its
        length. Blocking. Raises `CorruptBackupError` as `load` does."""
        buffer = self.read(path)
        if manifest_format is ManifestFormat.MBDB:
            return buffer.write_plaintext(None, self._parallel_from, target, sqlite=False)
        return buffer.write_plaintext(manifest_key, self._parallel_from, target)
