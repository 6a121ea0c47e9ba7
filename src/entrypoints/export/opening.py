"""The backup a command works on: found under the base path `serve` reads, its destination checked, unlocked
by the vault the server uses (built by the server's own providers of it)."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from dishka import make_async_container

from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.domain.errors import BackupNotFoundError, CorruptBackupError, WrongPassphraseError
from ios_backup_api.domain.ports.vault import BackupVault, OpenBackup
from ios_backup_api.entrypoints.export.passphrase import PROMPTS, PassphraseSource
from ios_backup_api.entrypoints.export.problems import CommandError, RefusedDestinationError
from ios_backup_api.entrypoints.folder_providers import BackupFolderProvider, SettingsProvider
from ios_backup_api.entrypoints.settings import PASSPHRASE_VARIABLE, Settings


@dataclass(frozen=True, slots=True)
class Opened:
    backup: OpenBackup
    folder: Path
    """The backup's folder (read, never written)."""


@asynccontextmanager
async def opened_backup(
    settings: Settings, backup_id: str, destination: Path, passphrase: PassphraseSource
) -> AsyncIterator[Opened]:
    """The unlocked backup, once `destination` is known to be neither in nor around its folder or the base
    path. Raises `CommandError` (nothing written yet)."""
    # The server's providers of the folders and the vault: the catalog and the sessions are not needed.
    container = make_async_container(SettingsProvider(), BackupFolderProvider(), context={Settings: settings})
    try:
        folders = await container.get(BackupFolders)
        folder = folders.folder(backup_id)
        if folder is None:
            raise CommandError(f"No backup is named {backup_id!r} under {folders.base_path}.")
        refuse_overlap(destination, [folders.named_base_path, folders.base_path, folder])
        vault = await container.get(BackupVault)
        backup = await _unlocked(vault, backup_id, passphrase)
        try:
            yield Opened(backup, folder)
        finally:
            await backup.close()
    finally:
        await container.close()


def refuse_overlap(destination: Path, protected: list[Path]) -> None:
    """Raises `RefusedDestinationError` when `destination` (as its links resolve) is one of `protected`, is
    inside one or holds one: a backup folder is evidence, and is never written into."""
    target = Path(os.path.realpath(destination))
    for path in protected:
        real = Path(os.path.realpath(path))
        if target.is_relative_to(real) or real.is_relative_to(target):
            raise RefusedDestinationError(
                f"Refusing to write into {destination}: it is or overlaps {path}, which is never written."
            )
    if target.exists() and not target.is_dir():
        raise RefusedDestinationError(f"Refusing to write into {destination}: it is not a folder.")


async def _unlocked(vault: BackupVault, backup_id: str, passphrase: PassphraseSource) -> OpenBackup:
    try:
        try:
            return await vault.open(backup_id, passphrase.given)
        except WrongPassphraseError:
            if passphrase.given is not None:
                raise CommandError(f"The passphrase does not unlock backup {backup_id}.") from None
            if passphrase.prompt is None:
                raise CommandError(
                    f"Backup {backup_id} is encrypted: give its passphrase in {PASSPHRASE_VARIABLE}, with"
                    " --password-file, or at the prompt of a terminal."
                ) from None
        for _ in range(PROMPTS):
            try:
                return await vault.open(backup_id, passphrase.prompt(f"Passphrase of backup {backup_id}: "))
            except WrongPassphraseError:
                print("That passphrase does not unlock it.", flush=True)
        raise CommandError(f"No passphrase given unlocks backup {backup_id}.")
    except BackupNotFoundError:
        raise CommandError(f"No backup is named {backup_id!r} under the base path.") from None
    except CorruptBackupError as error:
        raise CommandError(f"Backup {backup_id} can't be read: {error}") from None
