"""The backup folders under the base path, read off the event loop."""

import asyncio
import os
import stat
from collections.abc import Collection
from pathlib import Path

from ios_backup_api.adapters.filesystem.plist_summary import MARKER_FILES, read_summary
from ios_backup_api.domain.backups import CatalogedBackup


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
        found = self._folder_and_fingerprint(backup_id)
        return None if found is None else found[0]

    def _fingerprints(self) -> dict[str, str]:
        try:
            names = [entry.name for entry in os.scandir(self._base_path) if not entry.name.startswith(".")]
        except (FileNotFoundError, NotADirectoryError):
            return {}
        prints = {}
        for name in names:
            found = self._folder_and_fingerprint(name)
            if found is not None:
                prints[name] = found[1]
        return prints

    def _read(self, backup_ids: list[str]) -> list[CatalogedBackup]:
        read = []
        for backup_id in backup_ids:
            found = self._folder_and_fingerprint(backup_id)
            if found is not None:
                folder, fingerprint = found
                read.append(CatalogedBackup(read_summary(folder, _size_on_disk(folder)), fingerprint))
        return read

    def _folder_and_fingerprint(self, backup_id: str) -> tuple[Path, str] | None:
        """The folder of a backup id with its fingerprint, or None when it names no backup folder."""
        if backup_id in ("", ".", "..") or "/" in backup_id or "\\" in backup_id or "\0" in backup_id:
            return None
        folder = self._base_path / backup_id
        if folder.is_symlink() and not _resolves_inside(folder, self._base_path):
            return None
        fingerprint = _fingerprint(folder)
        return None if fingerprint is None else (folder, fingerprint)


def _resolves_inside(path: Path, base: Path) -> bool:
    real_base = os.path.realpath(base)
    return os.path.commonpath((real_base, os.path.realpath(path))) == real_base


def _fingerprint(folder: Path) -> str | None:
    """The stat data of the folder and its marker files (a backup rewrites at least one of them), or None
    when `folder` is no directory or holds none of the marker files: the same stat calls tell both."""
    try:
        folder_stat = folder.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(folder_stat.st_mode):
        return None
    parts = [_stat_part(folder_stat)]
    for name in MARKER_FILES:
        try:
            parts.append(_stat_part((folder / name).stat()))
        except OSError:
            parts.append("-")
    return "|".join(parts) if any(part != "-" for part in parts[1:]) else None


def _stat_part(status: os.stat_result) -> str:
    return f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}"


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
