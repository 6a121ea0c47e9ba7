"""What a backup folder's plists say, read once and with one set of rules, for the catalog and the vault."""

import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from ios_backup_api.adapters.backup_folder.files import (
    INFO_PLIST,
    MANIFEST_DB,
    MANIFEST_MBDB,
    MANIFEST_PLIST,
    STATUS_PLIST,
)
from ios_backup_api.adapters.backup_folder.plists import load_plist
from ios_backup_api.adapters.backup_folder.problems import BackupFolderError

MANIFEST_KEY_SIZE = 44
"""u32 LE protection class + the 40-byte wrapped key of Manifest.db."""


@dataclass(frozen=True, slots=True)
class Device:
    udid: str | None = None
    device_name: str | None = None
    display_name: str | None = None
    product_type: str | None = None
    product_version: str | None = None
    build_version: str | None = None
    serial_number: str | None = None
    last_backup_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Protection:
    is_encrypted: bool
    keybag: bytes = b""
    """The BackupKeyBag TLV; empty for an unencrypted backup."""
    manifest_key: bytes | None = None
    """The wrapped key of Manifest.db (`MANIFEST_KEY_SIZE` bytes); None for an unencrypted backup, and for
    an encrypted one whose manifest is not encrypted (Manifest.mbdb: only its payloads are)."""


class ManifestFormat(Enum):
    SQLITE = "Manifest.db"
    """iOS 10 and later: an SQLite Files table, payloads in `<id[:2]>/<id>`."""
    MBDB = "Manifest.mbdb"
    """iOS 4 to 9: binary records, never encrypted; payloads named by their id at the folder's root."""


@dataclass(frozen=True, slots=True)
class BackupLayout:
    protection: Protection
    manifest_db: Path
    """The manifest file: Manifest.db, or Manifest.mbdb when `manifest_format` says so."""
    manifest_format: ManifestFormat = ManifestFormat.SQLITE


def read_layout(folder: Path) -> BackupLayout:
    """What the vault needs, from Manifest.plist alone (Info.plist can be megabytes of app icons). Blocking.
    Raises `BackupFolderError` with one sentence when the folder is no usable backup."""
    return _layout(folder, load_plist(folder, MANIFEST_PLIST, required=True))


def read_device_and_layout(folder: Path) -> tuple[Device, BackupLayout]:
    """What the catalog lists: the device from Info.plist (else Manifest.plist's Lockdown) and Status.plist,
    and the layout by the same rules as `read_layout`. Blocking; raises `BackupFolderError`."""
    manifest = load_plist(folder, MANIFEST_PLIST, required=True)
    info = load_plist(folder, INFO_PLIST, required=True)
    status = load_plist(folder, STATUS_PLIST, required=False)
    return _device(info, _dict(manifest.get("Lockdown")), status), _layout(folder, manifest)


def _layout(folder: Path, manifest: dict[str, Any]) -> BackupLayout:
    # Some tools write no IsEncrypted: then a ManifestKey (which only encrypted backups have) decides.
    is_encrypted = manifest.get("IsEncrypted", "ManifestKey" in manifest)
    if not isinstance(is_encrypted, bool):
        raise BackupFolderError("Manifest.plist has no valid IsEncrypted flag.")
    manifest_db, manifest_format = _manifest_file(folder)
    protection = (
        _protection(manifest, needs_manifest_key=manifest_format is ManifestFormat.SQLITE)
        if is_encrypted
        else Protection(is_encrypted=False)
    )
    return BackupLayout(protection, manifest_db, manifest_format)


def _device(info: dict[str, Any], lockdown: dict[str, Any], status: dict[str, Any]) -> Device:
    return Device(
        udid=_text(info, "Unique Identifier") or _text(lockdown, "UniqueDeviceID"),
        device_name=_text(info, "Device Name") or _text(lockdown, "DeviceName"),
        display_name=_text(info, "Display Name"),
        product_type=_text(info, "Product Type") or _text(lockdown, "ProductType"),
        product_version=_text(info, "Product Version") or _text(lockdown, "ProductVersion"),
        build_version=_text(info, "Build Version") or _text(lockdown, "BuildVersion"),
        serial_number=_text(info, "Serial Number") or _text(lockdown, "SerialNumber"),
        last_backup_at=_date(info, "Last Backup Date") or _date(status, "Date"),
    )


def _protection(manifest: dict[str, Any], needs_manifest_key: bool) -> Protection:
    keybag = manifest.get("BackupKeyBag")
    if not isinstance(keybag, bytes) or not keybag:
        raise BackupFolderError("Manifest.plist of an encrypted backup has no BackupKeyBag.")
    if not needs_manifest_key:
        return Protection(is_encrypted=True, keybag=keybag)
    manifest_key = manifest.get("ManifestKey")
    if not isinstance(manifest_key, bytes) or len(manifest_key) != MANIFEST_KEY_SIZE:
        raise BackupFolderError("Manifest.plist of an encrypted backup has no valid ManifestKey.")
    return Protection(is_encrypted=True, keybag=keybag, manifest_key=manifest_key)


def _manifest_file(folder: Path) -> tuple[Path, ManifestFormat]:
    """Manifest.db when there is one (a folder upgraded to iOS 10 may keep its old Manifest.mbdb beside it),
    else Manifest.mbdb."""
    if _is_regular_file(folder / MANIFEST_DB):
        return folder / MANIFEST_DB, ManifestFormat.SQLITE
    if _is_regular_file(folder / MANIFEST_MBDB):
        return folder / MANIFEST_MBDB, ManifestFormat.MBDB
    raise BackupFolderError("Manifest.db is missing.")


def _is_regular_file(path: Path) -> bool:
    """Without following a link: a link is no file of the backup's."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(source: dict[str, Any], key: str) -> str | None:
    value = source.get(key)
    return value if isinstance(value, str) and value else None


def _date(source: dict[str, Any], key: str) -> datetime | None:
    value = source.get(key)
    if not isinstance(value, datetime):
        return None
    # plistlib gives naive datetimes that mean UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
