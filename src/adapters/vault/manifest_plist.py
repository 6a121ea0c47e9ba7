"""Manifest.plist: whether a backup is encrypted, its keybag, and the wrapped key of Manifest.db."""

import plistlib
from dataclasses import dataclass
from pathlib import Path

from ios_backup_api.domain.errors import CorruptBackupError

MANIFEST_PLIST = "Manifest.plist"
_MAX_BYTES = 64 * 1024 * 1024
_MANIFEST_KEY_SIZE = 44


@dataclass(frozen=True, slots=True)
class BackupProtection:
    is_encrypted: bool
    keybag: bytes = b""
    """The BackupKeyBag TLV; empty for an unencrypted backup."""
    manifest_key: bytes | None = None
    """u32 LE protection class + the wrapped key of Manifest.db; None when Manifest.db is not encrypted
    (unencrypted backups, and encrypted ones before iOS 10.2)."""


def read_protection(folder: Path) -> BackupProtection:
    """Raises `CorruptBackupError` when Manifest.plist is missing, unreadable or incomplete."""
    plist = _load(folder / MANIFEST_PLIST)
    is_encrypted = plist.get("IsEncrypted")
    if not isinstance(is_encrypted, bool):
        raise CorruptBackupError("Manifest.plist has no valid IsEncrypted flag.")
    if not is_encrypted:
        return BackupProtection(is_encrypted=False)
    keybag = plist.get("BackupKeyBag")
    if not isinstance(keybag, bytes) or not keybag:
        raise CorruptBackupError("Manifest.plist of this encrypted backup has no BackupKeyBag.")
    manifest_key = plist.get("ManifestKey")
    if manifest_key is not None and (
        not isinstance(manifest_key, bytes) or len(manifest_key) != _MANIFEST_KEY_SIZE
    ):
        raise CorruptBackupError("Manifest.plist has a malformed ManifestKey.")
    return BackupProtection(is_encrypted=True, keybag=keybag, manifest_key=manifest_key)


def _load(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        raise CorruptBackupError("Manifest.plist is missing from the backup folder.") from None
    except OSError as error:
        raise CorruptBackupError(f"Manifest.plist can't be read ({error.strerror}).") from error
    if len(data) > _MAX_BYTES:
        raise CorruptBackupError("Manifest.plist is implausibly large.")
    try:
        plist = plistlib.loads(data)
    except Exception as error:  # plistlib raises many types on malformed input
        raise CorruptBackupError("Manifest.plist is not a valid property list.") from error
    if not isinstance(plist, dict):
        raise CorruptBackupError("Manifest.plist is not a dictionary.")
    return plist
