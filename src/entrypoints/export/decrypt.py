"""`ios-backup-api decrypt BACKUP_ID DEST`: DEST becomes the backup folder decrypted, in its own layout, that
other tools (and this service) read as an unencrypted backup."""

import asyncio
from pathlib import Path

from ios_backup_api.adapters.backup_folder.files import (
    INFO_PLIST,
    MANIFEST_DB,
    MANIFEST_MBDB,
    MANIFEST_PLIST,
    STATUS_PLIST,
)
from ios_backup_api.adapters.backup_folder.plists import plist_bytes, unencrypted_manifest_plist
from ios_backup_api.adapters.backup_folder.problems import BackupFolderError
from ios_backup_api.adapters.export.tree import DestinationTree
from ios_backup_api.adapters.vault.handle import IosOpenBackup
from ios_backup_api.domain.errors import CorruptBackupError
from ios_backup_api.domain.manifest import EntryKind, ManifestEntry
from ios_backup_api.domain.services.selection import Selection, selected_entries
from ios_backup_api.entrypoints.export.copying import copy_file, to_the_end
from ios_backup_api.entrypoints.export.problems import CommandError
from ios_backup_api.entrypoints.export.progress import Report
from ios_backup_api.entrypoints.export.workers import each_at_once


async def decrypt(backup: IosOpenBackup, folder: Path, destination: Path, report: Report) -> None:
    """Payloads first, then the manifest and the plists, Manifest.plist last: until then DEST holds no file
    that marks a backup, so a copy that stopped midway is never taken for a whole one."""
    tree = DestinationTree(destination)

    async def copy(entry: ManifestEntry) -> None:
        parts = (entry.file_id,) if backup.flat_payloads else (entry.file_id[:2], entry.file_id)
        await copy_file(backup, entry, tree, parts, report)

    await each_at_once(selected_entries(backup, Selection(kind=EntryKind.FILE)), copy)
    manifest = tree.partial((MANIFEST_MBDB if backup.flat_payloads else MANIFEST_DB,))
    try:
        await to_the_end(asyncio.ensure_future(backup.write_plain_manifest(manifest.fd)))
        manifest.finish(None)
    except CorruptBackupError as error:
        manifest.discard()
        raise CommandError(f"The manifest can't be written: {error}") from None
    except BaseException:
        manifest.discard()
        raise
    for name in (INFO_PLIST, STATUS_PLIST):
        try:
            data = await asyncio.to_thread(plist_bytes, folder, name)
        except BackupFolderError as error:
            report.problem(f"{name}: left out, {error}")
            continue
        if data is not None:
            _write(tree, name, data)
    try:
        plain_manifest = await asyncio.to_thread(unencrypted_manifest_plist, folder)
    except BackupFolderError as error:
        raise CommandError(f"{MANIFEST_PLIST} can't be written: {error}") from None
    _write(tree, MANIFEST_PLIST, plain_manifest)


def _write(tree: DestinationTree, name: str, data: bytes) -> None:
    partial = tree.partial((name,))
    try:
        partial.write(data)
        partial.finish(None)
    except BaseException:
        partial.discard()
        raise
