"""The BackupVault of real backup folders: Finder/iTunes backups, encrypted or not (iOS 10.2+ layout)."""

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ios_backup_api.adapters.vault.handle import IosOpenBackup
from ios_backup_api.adapters.vault.keybag import UnlockedKeybag, unlock_with_key, unlock_with_passphrase
from ios_backup_api.adapters.vault.manifest_db import load_manifest, manifest_fingerprint
from ios_backup_api.adapters.vault.manifest_file import ManifestBytes, discard, read_manifest_file
from ios_backup_api.adapters.vault.manifest_plist import BackupProtection, read_protection
from ios_backup_api.adapters.vault.sharing import SharedManifests
from ios_backup_api.adapters.vault.threads import BoundedThreads
from ios_backup_api.domain.errors import BackupNotFoundError, CorruptBackupError, WrongPassphraseError

ReadAhead = asyncio.Future[ManifestBytes] | None


class IosBackupVault:
    """`folder_of(backup_id)` is the backup's folder, or None when there is no such backup.
    At most `max_concurrent_derivations` passphrases are run through PBKDF2 at once, in worker threads.
    While one runs, the backup's Manifest.db is read into memory beside it (one read per backup at once),
    unless a handle already holds its manifest."""

    def __init__(self, folder_of: Callable[[str], Path | None], max_concurrent_derivations: int = 2) -> None:
        self._folder_of = folder_of
        self._derivations = BoundedThreads(max_concurrent_derivations)
        self._reading_ahead: set[str] = set()
        self.manifests = SharedManifests()

    async def open(self, backup_id: str, passphrase: str | None) -> IosOpenBackup:
        folder = self._folder(backup_id)
        protection = await asyncio.to_thread(read_protection, folder)
        if not protection.is_encrypted:
            return await self._open(backup_id, folder, protection, None)
        if passphrase is None:
            raise WrongPassphraseError("This backup is encrypted: its passphrase is required.")
        read_ahead = self._read_ahead(backup_id, folder)
        try:
            keys = await self._derivations.run(partial(unlock_with_passphrase, protection.keybag, passphrase))
            return await self._open(backup_id, folder, protection, keys, read_ahead)
        except asyncio.CancelledError:
            raise  # a load may still be reading it in its thread: the collector frees it
        except BaseException:
            if read_ahead is not None:  # a wrong passphrase: what was read is freed, off the loop
                read_ahead.add_done_callback(_discard_unused)
            raise
        finally:
            if read_ahead is not None:
                self._reading_ahead.discard(backup_id)

    async def open_with_key(self, backup_id: str, passphrase_key: bytes | None) -> IosOpenBackup:
        folder = self._folder(backup_id)
        protection = await asyncio.to_thread(read_protection, folder)
        if not protection.is_encrypted:
            return await self._open(backup_id, folder, protection, None)
        if passphrase_key is None:
            raise WrongPassphraseError("This backup is encrypted: its key is required.")
        keys = await asyncio.to_thread(unlock_with_key, protection.keybag, passphrase_key)
        return await self._open(backup_id, folder, protection, keys)

    def _folder(self, backup_id: str) -> Path:
        folder = self._folder_of(backup_id)
        if folder is None:
            raise BackupNotFoundError(backup_id)
        return folder

    def _read_ahead(self, backup_id: str, folder: Path) -> ReadAhead:
        """Manifest.db's bytes, read in a worker thread while the key is derived in another: I/O (and the
        page faults of a buffer the manifest's size) beside CPU."""
        if backup_id in self._reading_ahead or self.manifests.holds(backup_id):
            return None
        self._reading_ahead.add(backup_id)
        return asyncio.ensure_future(asyncio.to_thread(read_manifest_file, folder))

    async def _open(
        self,
        backup_id: str,
        folder: Path,
        protection: BackupProtection,
        keys: UnlockedKeybag | None,
        read_ahead: ReadAhead = None,
    ) -> IosOpenBackup:
        try:
            manifest_key = (
                None
                if keys is None or protection.manifest_key is None
                else keys.unwrap_record(protection.manifest_key)
            )
            version = (backup_id, await asyncio.to_thread(manifest_fingerprint, folder))
            ahead = await _settled(read_ahead)
            manifest = await self.manifests.acquire(
                version, partial(load_manifest, folder, manifest_key, ahead)
            )
            if ahead is not None and not ahead.data.closed:  # unused: a handle loaded the manifest meanwhile
                await asyncio.to_thread(discard, ahead)
        except BaseException:
            if keys is not None:
                keys.forget()
            raise
        return IosOpenBackup(folder, manifest, keys, partial(self.manifests.release, version))


async def _settled(read_ahead: ReadAhead) -> ManifestBytes | None:
    """What was read ahead, or None (the load then reads the file itself, and reports what is wrong)."""
    if read_ahead is None:
        return None
    try:
        return await read_ahead
    except CorruptBackupError:
        return None


def _discard_unused(future: "asyncio.Future[ManifestBytes]") -> None:
    if not future.cancelled() and future.exception() is None:
        asyncio.get_running_loop().run_in_executor(None, discard, future.result())
