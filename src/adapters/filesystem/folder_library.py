"""The backup folders under the base path, read off the event loop."""

import asyncio
import os
from collections.abc import Collection
from pathlib import Path

from adapters.filesystem.plist_summary import MARKER_FILES, read_summary
from domain.backups import CatalogedBackup


class FolderBackupLibrary:
    """Each direct sub-folder of `base_path` holding a backup's marker files is a backup named by the folder.

    Symlinked sub-folders are followed only when they resolve inside the base path.
    """

    def __init__(self, base_path: Path) -> None:
        self._base_path = base_path

    async def fingerprints(self) -> dict[str, str]:
        return await asyncio.to_thread(self._fingerprints)

    async def read(self, backup_ids: Collection[str]) -> list[CatalogedBackup]:
        return await asyncio.to_thread(self._read, list(backup_ids))

    def folder_of(self, backup_id: str) -> Path | None:
        """The folder of a backup id, or None when the id does not name a backup folder."""
        if backup_id in ("", ".", "..") or "/" in backup_id or "\\" in backup_id or "\0" in backup_id:
            return None
        folder = self._base_path / backup_id
        return folder if self._is_backup_folder(folder) else None

    def _fingerprints(self) -> dict[str, str]:
        try:
            entries = list(os.scandir(self._base_path))
        except (FileNotFoundError, NotADirectoryError):
            return {}
        prints = {}
        for entry in entries:
            folder = Path(entry.path)
            if not entry.name.startswith(".") and self._is_backup_folder(folder):
                prints[entry.name] = _fingerprint(folder)
        return prints

    def _read(self, backup_ids: list[str]) -> list[CatalogedBackup]:
        read = []
        for backup_id in backup_ids:
            folder = self.folder_of(backup_id)
            if folder is None:
                continue
            fingerprint = _fingerprint(folder)
            read.append(CatalogedBackup(read_summary(folder, _size_on_disk(folder)), fingerprint))
        return read

    def _is_backup_folder(self, folder: Path) -> bool:
        if folder.is_symlink() and not _resolves_inside(folder, self._base_path):
            return False
        return folder.is_dir() and any((folder / name).exists() for name in MARKER_FILES)


def _resolves_inside(path: Path, base: Path) -> bool:
    real_base = os.path.realpath(base)
    return os.path.commonpath((real_base, os.path.realpath(path))) == real_base


def _fingerprint(folder: Path) -> str:
    """The stat data of the folder and its marker files: a backup rewrites at least one of them."""
    parts = []
    for path in (folder, *(folder / name for name in MARKER_FILES)):
        try:
            stat = path.stat()
        except OSError:
            parts.append("-")
        else:
            parts.append(f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


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
