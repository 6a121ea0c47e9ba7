"""The BackupVault of real backup folders: Finder/iTunes backups, encrypted or not (iOS 10.2+ layout)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from ios_backup_api.adapters.backup_folder.file_work import FileWork
from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.backup_folder.layout import BackupLayout, read_layout
from ios_backup_api.adapters.backup_folder.opening import FolderHandle
from ios_backup_api.adapters.backup_folder.problems import BackupFolderError
from ios_backup_api.adapters.vault.folder_answers import answered
from ios_backup_api.adapters.vault.handle import IosOpenBackup, PlainManifest
from ios_backup_api.adapters.vault.keybag import UnlockedKeybag, unlock_with_key, unlock_with_passphrase
from ios_backup_api.adapters.vault.manifest_buffer import file_fingerprint_and_size
from ios_backup_api.adapters.vault.manifest_loader import ManifestLoader
from ios_backup_api.adapters.vault.read_ahead import ReadAhead
from ios_backup_api.adapters.vault.sharing import SharedManifests
from ios_backup_api.domain.errors import BackupNotFoundError, CorruptBackupError, WrongPassphraseError

LAYOUT_ALLOWANCE = 2
"""Holding the folder and reading Manifest.plist may take this many of the folder work's timeouts."""
LOAD_BYTES_PER_SECOND = 8 << 20
"""The slowest disk a Manifest.db is loaded from before it counts as not answering (beside 2 timeouts)."""


class IosBackupVault:
    """The backups of `folders`, read as their Manifest.plist says (see `read_layout`).

    Key derivation runs in threads of its own, `derivation_threads` of them: as many as the domain's unlock
    gate admits at once, so an admitted derivation never queues and never takes the threads that listings
    and downloads run in. While one runs, the backup's Manifest.db is read into memory beside it (one read
    per backup at once), unless a handle already holds its manifest. Everything that touches a backup's
    folder runs in `work`'s lane of the backup, so a folder that never answers holds up nothing else.
    """

    def __init__(
        self,
        folders: BackupFolders,
        loader: ManifestLoader,
        derivation_threads: int,
        work: FileWork | None = None,
    ) -> None:
        self._folders = folders
        self._loader = loader
        self._work = work or FileWork()
        self._derivations = ThreadPoolExecutor(derivation_threads, thread_name_prefix="key-derivation")
        self._reading_ahead: set[str] = set()
        self._manifests = SharedManifests()

    async def identity(self, backup_id: str) -> str:
        identity = await answered(self._work.lane(backup_id), partial(self._folders.identity, backup_id))
        if identity is None:
            raise BackupNotFoundError(backup_id)
        return identity

    async def open(self, backup_id: str, passphrase: str | None) -> IosOpenBackup:
        folder, layout = await self._layout(backup_id)
        if not layout.protection.is_encrypted:
            return await self._open(backup_id, folder, layout, None)
        if passphrase is None:
            raise WrongPassphraseError("This backup is encrypted: its passphrase is required.")
        read_ahead = self._read_ahead(backup_id, layout.manifest_db)
        try:
            derive = partial(unlock_with_passphrase, layout.protection.keybag, passphrase)
            keys = await asyncio.get_running_loop().run_in_executor(self._derivations, derive)
            return await self._open(backup_id, folder, layout, keys, read_ahead)
        except BaseException:
            if read_ahead is not None:  # a wrong passphrase, a cancelled attempt: the read stops, is freed
                read_ahead.discard()
            raise

    async def open_with_key(self, backup_id: str, passphrase_key: bytes | None) -> IosOpenBackup:
        folder, layout = await self._layout(backup_id)
        if not layout.protection.is_encrypted:
            return await self._open(backup_id, folder, layout, None)
        if passphrase_key is None:
            raise WrongPassphraseError("This backup is encrypted: its key is required.")
        keys = await asyncio.to_thread(unlock_with_key, layout.protection.keybag, passphrase_key)
        return await self._open(backup_id, folder, layout, keys)

    async def _layout(self, backup_id: str) -> tuple[FolderHandle, BackupLayout]:
        try:
            held = await self._work.run(
                backup_id, partial(_held_and_read, self._folders, backup_id), self._allowed_reading(0)
            )
        except BackupFolderError as problem:
            raise CorruptBackupError(str(problem)) from None
        except OSError as error:  # the folder vanished or can't be opened since the library saw it
            raise BackupNotFoundError(backup_id) from error
        if held is None:
            raise BackupNotFoundError(backup_id)
        return held

    def _read_ahead(self, backup_id: str, manifest_db: Path) -> ReadAhead | None:
        """Manifest.db's bytes, read in a worker thread while the key is derived in another: I/O (and the
        page faults of a buffer the manifest's size) beside CPU. One read per backup at once, until its bytes
        are handed over or freed."""
        if backup_id in self._reading_ahead or self._manifests.holds(backup_id):
            return None
        self._reading_ahead.add(backup_id)
        read = partial(self._loader.read_ahead, manifest_db)
        allowed = self._allowed_reading(self._loader.read_ahead_max)
        run = partial(answered, self._work.lane(backup_id), allow_seconds=allowed)
        return ReadAhead(read, partial(self._reading_ahead.discard, backup_id), run)

    async def _open(
        self,
        backup_id: str,
        folder: FolderHandle,
        layout: BackupLayout,
        keys: UnlockedKeybag | None,
        read_ahead: ReadAhead | None = None,
    ) -> IosOpenBackup:
        manifest_key = layout.protection.manifest_key
        lane = self._work.lane(backup_id)
        try:
            key = None if keys is None or manifest_key is None else keys.unwrap_record(manifest_key)
            fingerprint, size = await answered(lane, partial(file_fingerprint_and_size, layout.manifest_db))
            version = (backup_id, fingerprint)
            ahead = None if read_ahead is None else await read_ahead.taken()
            load = partial(self._loader.load, layout.manifest_db, key, ahead, layout.manifest_format)
            loading = partial(answered, lane, load, self._allowed_reading(size))
            manifest = await self._manifests.acquire(version, loading)
            if ahead is not None:  # unused when a handle loaded the manifest meanwhile; wiping is idempotent
                await asyncio.to_thread(ahead.wipe)
        except BaseException:
            if keys is not None:
                keys.forget()
            raise
        plain_manifest = PlainManifest(
            partial(_write_plain_manifest, self._loader, layout), self._allowed_reading(2 * size)
        )
        release = partial(self._manifests.release, version)
        return IosOpenBackup(folder, manifest, keys, release, lane, plain_manifest, fingerprint)

    def _allowed_reading(self, size: int) -> float:
        """Seconds allowed folder work that holds the folder, reads its plists and `size` bytes more."""
        return LAYOUT_ALLOWANCE * self._work.timeout + size / LOAD_BYTES_PER_SECOND


def _held_and_read(folders: BackupFolders, backup_id: str) -> tuple[FolderHandle, BackupLayout] | None:
    """The folder held open (its payloads are read through it, wherever its path leads later) and its
    layout read; None when `backup_id` names no backup folder."""
    folder = folders.folder(backup_id)
    return None if folder is None else (FolderHandle(folder), read_layout(folder))


def _write_plain_manifest(
    loader: ManifestLoader, layout: BackupLayout, keys: UnlockedKeybag | None, target: int
) -> int:
    record = layout.protection.manifest_key
    key = None if keys is None or record is None else keys.unwrap_record(record)
    return loader.write_plaintext(layout.manifest_db, key, layout.manifest_format, target)
