"""Property lists of a backup folder, read with one set of limits."""

import io
import plistlib
from pathlib import Path
from typing import Any

from ios_backup_api.adapters.backup_folder.opening import open_regular
from ios_backup_api.adapters.backup_folder.problems import BackupFolderError

MAX_PLIST_BYTES = 64 * 1024 * 1024


def load_plist(folder: Path, name: str, *, required: bool) -> dict[str, Any]:
    """The dictionary in `folder/name`; `{}` for a missing optional one. Raises `BackupFolderError`."""
    try:
        with io.BufferedReader(open_regular(folder, name)) as file:
            data = file.read(MAX_PLIST_BYTES + 1)
    except FileNotFoundError:
        if required:
            raise BackupFolderError(f"{name} is missing.") from None
        return {}
    except OSError as error:
        raise BackupFolderError(f"{name} can't be read ({error.strerror}).") from None
    if len(data) > MAX_PLIST_BYTES:
        raise BackupFolderError(f"{name} is too large to be a backup's property list.")
    try:
        parsed = plistlib.loads(data)
    except Exception:  # plistlib raises many types on garbage (InvalidFileException, ValueError, ExpatError…)
        raise BackupFolderError(f"{name} is not a valid property list.") from None
    if not isinstance(parsed, dict):
        raise BackupFolderError(f"{name} is not a dictionary property list.")
    return parsed
