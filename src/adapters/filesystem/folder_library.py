"""The backup folders under the base path, read off the event loop, each folder on its own: one that never
answers is reported as such and holds up no other."""

import asyncio
import os
from collections.abc import Collection
from dataclasses import replace
from functools import partial
from pathlib import Path

from ios_backup_api.adapters.backup_folder.file_work import FileWork, FolderNotAnsweringError
from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.backup_folder.layout import BackupLayout, Device, read_device_and_layout
from ios_backup_api.adapters.backup_folder.problems import BackupFolderError
from ios_backup_api.domain.backups import BackupStatus, BackupSummary, CatalogedBackup
from ios_backup_api.domain.errors import CatalogUnavailableError

UNANSWERED = "did not answer"
"""The fingerprint of a folder that did not answer: unchanged while it still doesn't, so it is not re-read."""
READ_ALLOWANCE = 4
"""A folder's read (its plists and the walk that sums its size) may take this many timeouts."""


class FolderBackupLibrary:
    """The backups of `folders`, summarised from their plists (see `read_device_and_layout`). The folders are
    looked at all at once, each in `work`'s lane of its name."""

    def __init__(self, folders: BackupFolders, work: FileWork | None = None) -> None:
        self._folders = folders
        self._work = work or FileWork()

    async def fingerprints(self) -> dict[str, str]:
        try:
            names = await self._work.run("", self._folders.names)
        except FolderNotAnsweringError as error:
            raise CatalogUnavailableError(f"The base path of the backups: {error}") from None
        found = await asyncio.gather(*(self._fingerprint(name) for name in names))
        return {name: print_ for name, print_ in zip(names, found, strict=True) if print_ is not None}

    async def read(self, backup_ids: Collection[str]) -> list[CatalogedBackup]:
        found = await asyncio.gather(*(self._read(backup_id) for backup_id in backup_ids))
        return [backup for backup in found if backup is not None]

    async def _fingerprint(self, name: str) -> str | None:
        try:
            found = await self._work.run(name, partial(self._folders.folder_and_fingerprint, name))
        except FolderNotAnsweringError:
            return UNANSWERED
        return None if found is None else found[1]

    async def _read(self, backup_id: str) -> CatalogedBackup | None:
        allowed = READ_ALLOWANCE * self._work.timeout
        try:
            return await self._work.run(backup_id, partial(self._read_now, backup_id), allowed)
        except FolderNotAnsweringError as error:
            return CatalogedBackup(_unreadable(_empty_summary(backup_id, None), error), UNANSWERED)

    def _read_now(self, backup_id: str) -> CatalogedBackup | None:
        found = self._folders.folder_and_fingerprint(backup_id)
        if found is None:
            return None
        folder, fingerprint = found
        return CatalogedBackup(_summary(folder, _size_on_disk(folder)), fingerprint)


def _summary(folder: Path, size_bytes: int) -> BackupSummary:
    """A folder that can't be used comes back `unreadable`, with the reason and nothing else."""
    empty = _empty_summary(folder.name, size_bytes)
    try:
        device, layout = read_device_and_layout(folder)
    except BackupFolderError as problem:
        return _unreadable(empty, problem)
    return _ready_summary(empty, device, layout)


def _unreadable(empty: BackupSummary, problem: BackupFolderError) -> BackupSummary:
    return replace(empty, status=BackupStatus.UNREADABLE, problem=str(problem))


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
        warnings=layout.warnings,
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
