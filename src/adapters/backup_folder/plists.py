"""Property lists of a backup folder, read with one set of limits."""

import io
import plistlib
from pathlib import Path
from typing import Any

from ios_backup_api.adapters.backup_folder.files import MANIFEST_PLIST
from ios_backup_api.adapters.backup_folder.opening import open_regular
from ios_backup_api.adapters.backup_folder.problems import BackupFolderError

MAX_PLIST_BYTES = 64 * 1024 * 1024


_KEYS_OF_ENCRYPTION = ("BackupKeyBag", "ManifestKey")


def plist_bytes(folder: Path, name: str) -> bytes | None:
    """The bytes of `folder/name` as they are; None when it is missing. Raises `BackupFolderError`."""
    try:
        with io.BufferedReader(open_regular(folder, name)) as file:
            data = file.read(MAX_PLIST_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise BackupFolderError(f"{name} can't be read ({error.strerror}).") from None
    if len(data) > MAX_PLIST_BYTES:
        raise BackupFolderError(f"{name} is too large to be a backup's property list.")
    return data


def load_plist(folder: Path, name: str, *, required: bool) -> dict[str, Any]:
    """The dictionary in `folder/name`; `{}` for a missing optional one. Raises `BackupFolderError`."""
    data = plist_bytes(folder, name)
    if data is None:
        if required:
            raise BackupFolderError(f"{name} is missing.")
        return {}
    try:
        parsed = plistlib.loads(data)
    except Exception:  # plistlib raises many types on garbage (InvalidFileException, ValueError, ExpatError…)
        raise BackupFolderError(f"{name} is not a valid property list.") from None
    if not isinstance(parsed, dict):
        raise BackupFolderError(f"{name} is not a dictionary property list.")
    return parsed


def unencrypted_manifest_plist(folder: Path) -> bytes:
    """The folder's Manifest.plist as an unencrypted backup's (binary, as devices write it): `IsEncrypted`
    false, and no keybag nor Manifest.db key that would make a reader try to decrypt; the rest as it is.
    A folder without one gets one of `IsEncrypted` alone. Raises `BackupFolderError`."""
    manifest = load_plist(folder, MANIFEST_PLIST, required=False)
    plain = {key: value for key, value in manifest.items() if key not in _KEYS_OF_ENCRYPTION}
    plain["IsEncrypted"] = False
    return plistlib.dumps(plain, fmt=plistlib.FMT_BINARY, sort_keys=False)
