"""Which folders under the base path are backups, by name, and a cheap fingerprint of each."""

import os
import stat
from pathlib import Path

from ios_backup_api.adapters.backup_folder.files import MARKER_FILES


class BackupFolders:
    """Each direct sub-folder of `base_path` holding a backup's marker files is a backup named by the folder.

    Symlinked sub-folders are followed only when they resolve inside the base path. A base path one level
    too high, the `MobileSync` folder itself, means its `Backup` folder, where Finder and iTunes write.
    """

    def __init__(self, base_path: Path) -> None:
        self.named_base_path = base_path

    @property
    def base_path(self) -> Path:
        named = self.named_base_path
        if named.name.lower() == "mobilesync" and (named / "Backup").is_dir():
            return named / "Backup"
        return named

    def names(self) -> list[str]:
        """The names of the entries under the base path that may be backups (hidden ones are not)."""
        try:
            return [entry.name for entry in os.scandir(self.base_path) if not entry.name.startswith(".")]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def folder(self, backup_id: str) -> Path | None:
        """The folder of a backup id, or None when the id names no backup folder."""
        found = self.folder_and_fingerprint(backup_id)
        return None if found is None else found[0]

    def identity(self, backup_id: str) -> str | None:
        """The backup folder's real path relative to the base path's: one for all the names that lead to it
        (symlinks resolve inside the base path), whatever path the base path is mounted at. None when
        `backup_id` names no backup folder."""
        folder = self.folder(backup_id)
        if folder is None:
            return None
        return os.path.relpath(os.path.realpath(folder), os.path.realpath(self.base_path))

    def folder_and_fingerprint(self, backup_id: str) -> tuple[Path, str] | None:
        """The folder of a backup id with its fingerprint, or None when it names no backup folder."""
        if backup_id in ("", ".", "..") or "/" in backup_id or "\\" in backup_id or "\0" in backup_id:
            return None
        folder = self.base_path / backup_id
        if folder.is_symlink() and not _resolves_inside(folder, self.base_path):
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
            parts.append(_stat_part(os.lstat(folder / name)))
        except OSError:
            parts.append("-")
    return "|".join(parts) if any(part != "-" for part in parts[1:]) else None


def _stat_part(status: os.stat_result) -> str:
    return f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}"
