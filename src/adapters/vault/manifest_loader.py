"""Manifest.db from a backup folder into memory, decrypted there: never onto disk."""

from pathlib import Path

from ios_backup_api.adapters.vault.manifest_buffer import ManifestBuffer, file_fingerprint
from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase
from ios_backup_api.adapters.vault.ram_file import RamFiles


class ManifestLoader:
    """`ram_files` holds the plaintext where SQLite reads it in place; None (or a RAM file that can't be
    made or filled) means SQLite's own copy. Manifests of `parallel_from` bytes or more are decrypted by
    two threads. Both are the operator's choice (settings), and the vault's contract suite runs over each."""

    def __init__(self, ram_files: RamFiles | None, parallel_from: int) -> None:
        self._ram_files = ram_files
        self._parallel_from = parallel_from

    def read(self, path: Path) -> ManifestBuffer:
        """The file's bytes, e.g. while the passphrase's key is being derived. Blocking."""
        return ManifestBuffer.read(path, self._ram_files)

    def load(
        self, path: Path, manifest_key: bytes | None, read_ahead: ManifestBuffer | None = None
    ) -> ManifestDatabase:
        """Reads (and with `manifest_key`, decrypts) Manifest.db into memory; `read_ahead` is its bytes read
        earlier, used when the file has not changed since (and wiped either way). Blocking: run it in a
        worker thread. Raises `CorruptBackupError` when it is missing, badly padded or no usable database."""
        buffer = read_ahead
        if buffer is None or not buffer.is_current(file_fingerprint(path)):
            if buffer is not None:
                buffer.wipe()
            buffer = self.read(path)
        connection, length = buffer.open_database(manifest_key, self._parallel_from)
        return ManifestDatabase.opened(connection, length)
