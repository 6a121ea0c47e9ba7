"""The backup folders under the base path, read off the event loop."""

import asyncio
import os
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.backup_folder.layout import BackupLayout, Device, read_device_and_layout
from ios_backup_api.adapters.backup_folder.problems import BackupFolderError
from ios_backup_api.domain.backups import BackupStatus, BackupSummary, CatalogedBackup


class FolderBackupLibrary:
    """The backups of `folders`, summarised from their plists (see `read_device_and_layout`)."""

    def __init__(self, folders: BackupFolders) -> None:
        self._folders = folders

    async def fingerprints(self) -> dict[str, str]:
        return await asyncio.to_thread(self._fingerprints)

    async def read(self, backup_ids: Collection[str]) -> list[CatalogedBackup]:
        return await asyncio.to_thread(self._read, list(backup_ids))

    def _fingerprints(self) -> dict[str, str]:
        prints = {}
        for name in self._folders.names():
            found = self._folders.folder_and_fingerprint(name)
            if found is not None:
                prints[name] = found[1]
        return prints

    def _read(self, backup_ids: list[str]) -> list[CatalogedBackup]:
        read = []
        for backup_id in backup_ids:
            found = self._folders.folder_and_fingerprint(backup_id)
            if found is not None:
                folder, fingerprint = found
                read.append(CatalogedBackup(_summary(folder, _size_on_disk(folder)), fingerprint))
        return read


def _summary(folder: Path, size_bytes: int) -> BackupSummary:
    """A folder that can't be used comes back `unreadable`, with the reason and nothing else."""
    empty = _empty_summary(folder.name, size_bytes)
    try:
        device, layout = read_device_and_layout(folder)
    except BackupFolderError as problem:
        return replace(empty, status=BackupStatus.UNREADABLE, problem=str(problem))
    return _ready_summary(empty, device, layout)


def _ready_summary(empty: BackupSummary, device: Device, layout: BackupLayout) -> BackupSummary:
    return replace(
        empty,
        udid=device.udid,
        device_name=device.device_name,
        display_name=device.display_name,
        product_type=device.product_type,
        product_version=device.product_version,
        build_version=device.build_version,
        serial_number=device.serial_number,
        is_encrypted=layout.protection.is_encrypted,
        last_backup_at=device.last_backup_at,
    )


def _empty_summary(backup_id: str, size_bytes: int | None) -> BackupSummary:
    return BackupSummary(
        id=backup_id,
        udid=None,
        device_name=None,
        display_name=None,
        product_type=None,
        product_version=None,
        build_version=None,
        serial_number=None,
        is_encrypted=False,
        last_backup_at=None,
        size_bytes=size_bytes,
        status=BackupStatus.READY,
        problem=None,
    )


def _size_on_disk(folder: Path) -> int:
    total = 0
    pending = [folder]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total
