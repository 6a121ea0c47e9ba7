"""The BackupVault of real backup folders: Finder/iTunes backups, encrypted or not (iOS 10.2+ layout)."""

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path

from adapters.vault.handle import IosOpenBackup
from adapters.vault.keybag import UnlockedKeybag, unlock_with_key, unlock_with_passphrase
from adapters.vault.manifest_db import load_manifest, manifest_fingerprint
from adapters.vault.manifest_plist import BackupProtection, read_protection
from adapters.vault.sharing import SharedManifests
from adapters.vault.threads import BoundedThreads
from domain.errors import BackupNotFoundError, WrongPassphraseError


class IosBackupVault:
    """`folder_of(backup_id)` is the backup's folder, or None when there is no such backup.
    At most `max_concurrent_derivations` passphrases are run through PBKDF2 at once, in worker threads."""

    def __init__(self, folder_of: Callable[[str], Path | None], max_concurrent_derivations: int = 2) -> None:
        self._folder_of = folder_of
        self._derivations = BoundedThreads(max_concurrent_derivations)
        self.manifests = SharedManifests()

    async def open(self, backup_id: str, passphrase: str | None) -> IosOpenBackup:
        folder = self._folder(backup_id)
        protection = await asyncio.to_thread(read_protection, folder)
        if not protection.is_encrypted:
            return await self._open(backup_id, folder, protection, None)
        if passphrase is None:
            raise WrongPassphraseError("This backup is encrypted: its passphrase is required.")
        keys = await self._derivations.run(partial(unlock_with_passphrase, protection.keybag, passphrase))
        return await self._open(backup_id, folder, protection, keys)

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

    async def _open(
        self, backup_id: str, folder: Path, protection: BackupProtection, keys: UnlockedKeybag | None
    ) -> IosOpenBackup:
        try:
            manifest_key = (
                None
                if keys is None or protection.manifest_key is None
                else keys.unwrap_record(protection.manifest_key)
            )
            version = (backup_id, await asyncio.to_thread(manifest_fingerprint, folder))
            manifest = await self.manifests.acquire(version, partial(load_manifest, folder, manifest_key))
        except BaseException:
            if keys is not None:
                keys.forget()
            raise
        return IosOpenBackup(folder, manifest, keys, partial(self.manifests.release, version))
