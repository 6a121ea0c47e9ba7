"""Turns the plists of one backup folder into a `BackupSummary`."""

import plistlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ios_backup_api.domain.backups import BackupStatus, BackupSummary
from ios_backup_api.domain.errors import InvalidBackupFolderError

INFO_PLIST = "Info.plist"
MANIFEST_PLIST = "Manifest.plist"
MANIFEST_DB = "Manifest.db"
STATUS_PLIST = "Status.plist"
MARKER_FILES = (INFO_PLIST, MANIFEST_PLIST, MANIFEST_DB, STATUS_PLIST)
_MAX_PLIST_BYTES = 64 * 1024 * 1024


def read_summary(folder: Path, size_bytes: int | None) -> BackupSummary:
    """Read a folder's summary; a folder that can't be used comes back `unreadable` with the reason."""
    empty = _empty_summary(folder.name, size_bytes)
    try:
        return _read_ready_summary(folder, empty)
    except InvalidBackupFolderError as problem:
        return replace(empty, status=BackupStatus.UNREADABLE, problem=str(problem))


def _read_ready_summary(folder: Path, empty: BackupSummary) -> BackupSummary:
    manifest = _load_plist(folder, MANIFEST_PLIST, required=True)
    info = _load_plist(folder, INFO_PLIST, required=True)
    status = _load_plist(folder, STATUS_PLIST, required=False)
    lockdown = manifest.get("Lockdown")
    lockdown = lockdown if isinstance(lockdown, dict) else {}
    is_encrypted = manifest.get("IsEncrypted", False)
    if not isinstance(is_encrypted, bool):
        raise InvalidBackupFolderError("Manifest.plist has no valid IsEncrypted flag.")
    summary = replace(
        empty,
        udid=_text(info, "Unique Identifier") or _text(lockdown, "UniqueDeviceID"),
        device_name=_text(info, "Device Name") or _text(lockdown, "DeviceName"),
        display_name=_text(info, "Display Name"),
        product_type=_text(info, "Product Type") or _text(lockdown, "ProductType"),
        product_version=_text(info, "Product Version") or _text(lockdown, "ProductVersion"),
        build_version=_text(info, "Build Version") or _text(lockdown, "BuildVersion"),
        serial_number=_text(info, "Serial Number") or _text(lockdown, "SerialNumber"),
        is_encrypted=is_encrypted,
        last_backup_at=_date(info, "Last Backup Date") or _date(status, "Date"),
    )
    _check_usable(folder, manifest, is_encrypted)
    return summary


def _check_usable(folder: Path, manifest: dict[str, Any], is_encrypted: bool) -> None:
    if not (folder / MANIFEST_DB).is_file():
        if (folder / "Manifest.mbdb").is_file():
            raise InvalidBackupFolderError("Backups of iOS 9 and older (Manifest.mbdb) are not supported.")
        raise InvalidBackupFolderError("Manifest.db is missing.")
    if is_encrypted:
        if not isinstance(manifest.get("BackupKeyBag"), bytes):
            raise InvalidBackupFolderError("Manifest.plist of an encrypted backup has no BackupKeyBag.")
        manifest_key = manifest.get("ManifestKey")
        if not isinstance(manifest_key, bytes) or len(manifest_key) != 44:
            raise InvalidBackupFolderError("Manifest.plist of an encrypted backup has no valid ManifestKey.")


def _load_plist(folder: Path, name: str, *, required: bool) -> dict[str, Any]:
    path = folder / name
    try:
        with path.open("rb") as file:
            data = file.read(_MAX_PLIST_BYTES + 1)
    except FileNotFoundError:
        if required:
            raise InvalidBackupFolderError(f"{name} is missing.") from None
        return {}
    except OSError as error:
        raise InvalidBackupFolderError(f"{name} can't be read ({error.strerror}).") from None
    if len(data) > _MAX_PLIST_BYTES:
        raise InvalidBackupFolderError(f"{name} is too large to be a backup's property list.")
    try:
        parsed = plistlib.loads(data)
    except Exception:  # plistlib raises many types on garbage (InvalidFileException, ValueError, ExpatError…)
        raise InvalidBackupFolderError(f"{name} is not a valid property list.") from None
    if not isinstance(parsed, dict):
        raise InvalidBackupFolderError(f"{name} is not a dictionary property list.")
    return parsed


def _text(source: dict[str, Any], key: str) -> str | None:
    value = source.get(key)
    return value if isinstance(value, str) and value else None


def _date(source: dict[str, Any], key: str) -> datetime | None:
    value = source.get(key)
    if not isinstance(value, datetime):
        return None
    # plistlib gives naive datetimes that mean UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
