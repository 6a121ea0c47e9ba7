"""What a backup folder's plists say, read once and with one set of rules, for the catalog and the vault."""

import os
import re
import stat
from dataclasses import dataclass, replace
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
from ios_backup_api.adapters.backup_folder.opening import open_regular
from ios_backup_api.adapters.backup_folder.plists import load_plist
from ios_backup_api.adapters.backup_folder.problems import BackupFolderError

MANIFEST_KEY_SIZE = 44
"""u32 LE protection class + the 40-byte wrapped key of Manifest.db."""
SQLITE_MAGIC = b"SQLite format 3\x00"
SNAPSHOT_FOLDER = "Snapshot"
FIRST_WITH_MANIFEST_KEY = (10, 2)
"""iOS 10.0 and 10.1 encrypted payloads but left Manifest.db plain, without a ManifestKey."""


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
    an encrypted one whose manifest is not encrypted (iOS 10.0 and 10.1; Manifest.mbdb: only its payloads
    are)."""


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
    warnings: tuple[str, ...] = ()
    """What a reader should know about a usable backup (what was tolerated, what is odd), a sentence each."""


def read_layout(folder: Path) -> BackupLayout:
    """What the vault needs, from Manifest.plist and Manifest.db's first bytes (Info.plist can be megabytes
    of app icons). Blocking. Raises `BackupFolderError` with one sentence when the folder is no usable
    backup."""
    return _layout(folder, load_plist(folder, MANIFEST_PLIST, required=False))


def read_device_and_layout(folder: Path) -> tuple[Device, BackupLayout]:
    """What the catalog lists: the device from Info.plist (else Manifest.plist's Lockdown) and Status.plist,
    and the layout by the same rules as `read_layout`. Info.plist and Status.plist hold no key: missing,
    they are not missed; damaged, they are a warning. Blocking; raises `BackupFolderError`."""
    manifest = load_plist(folder, MANIFEST_PLIST, required=False)
    layout = _layout(folder, manifest)
    warnings = list(layout.warnings)
    info = _optional_plist(folder, INFO_PLIST, warnings)
    status = _optional_plist(folder, STATUS_PLIST, warnings)
    warnings += _in_progress(folder, status)
    device = _device(info, _dict(manifest.get("Lockdown")), status)
    return device, replace(layout, warnings=tuple(warnings))


def _layout(folder: Path, manifest: dict[str, Any]) -> BackupLayout:
    """From what is there: Manifest.db's first bytes say whether it is plain; Manifest.plist whether the
    payloads are encrypted, and a plain Manifest.db under an encrypted one's plist is a tool's decrypted
    copy, unless the plist is of iOS 10.0 or 10.1. Without Manifest.db, a Manifest.mbdb (iOS 4 to 9, never
    encrypted itself) is the manifest."""
    try:
        manifest_db, manifest_format = _manifest_file(folder)
    except BackupFolderError:
        if not manifest:
            raise BackupFolderError("Manifest.plist and Manifest.db are missing.") from None
        raise
    mbdb = manifest_format is ManifestFormat.MBDB
    plain = mbdb or _is_plain_sqlite(folder)
    if not manifest:
        if not plain:
            raise BackupFolderError("Manifest.plist is missing.")
        return BackupLayout(_PLAIN, manifest_db, manifest_format, (_NO_MANIFEST_PLIST,))
    # Some tools write no IsEncrypted: then a ManifestKey (which only encrypted Manifest.db backups have)
    # decides.
    is_encrypted = manifest.get("IsEncrypted", not mbdb and "ManifestKey" in manifest)
    if not isinstance(is_encrypted, bool):
        raise BackupFolderError("Manifest.plist has no valid IsEncrypted flag.")
    if not is_encrypted:
        if not plain:
            raise BackupFolderError("Manifest.db is no SQLite database, though the backup is not encrypted.")
        return BackupLayout(_PLAIN, manifest_db, manifest_format)
    if not plain:
        return BackupLayout(_protection(manifest), manifest_db)
    if not mbdb and ("ManifestKey" in manifest or _version(manifest) >= FIRST_WITH_MANIFEST_KEY):
        return BackupLayout(_PLAIN, manifest_db, warnings=(_DECRYPTED_COPY,))
    # iOS 10.0 and 10.1, and Manifest.mbdb: the manifest plain, the payloads encrypted.
    return BackupLayout(Protection(is_encrypted=True, keybag=_keybag(manifest)), manifest_db, manifest_format)


_PLAIN = Protection(is_encrypted=False)
_NO_MANIFEST_PLIST = "Manifest.plist is missing: read as an unencrypted backup."
_DECRYPTED_COPY = (
    "Manifest.plist says the backup is encrypted but Manifest.db is plain: read as a decrypted copy, "
    "its files as they are."
)


def _is_plain_sqlite(folder: Path) -> bool:
    try:
        with open_regular(folder, MANIFEST_DB) as file:
            return file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError as error:
        raise BackupFolderError(f"Manifest.db can't be read ({error.strerror}).") from None


def _version(manifest: dict[str, Any]) -> tuple[int, int]:
    """The iOS version the backup was made of (major, minor); (0, 0) when Manifest.plist does not say."""
    version = _dict(manifest.get("Lockdown")).get("ProductVersion")
    found = re.fullmatch(r"(\d{1,3})\.(\d{1,3})(?:\.\d{1,3})?", version) if isinstance(version, str) else None
    return (int(found[1]), int(found[2])) if found else (0, 0)


def _optional_plist(folder: Path, name: str, warnings: list[str]) -> dict[str, Any]:
    try:
        return load_plist(folder, name, required=False)
    except BackupFolderError as problem:
        warnings.append(f"{problem} It was left out.")
        return {}


def _in_progress(folder: Path, status: dict[str, Any]) -> list[str]:
    warnings = []
    state = status.get("SnapshotState")
    if isinstance(state, str) and state != "finished":
        warnings.append(f"The backup is still being written: its SnapshotState is {state}.")
    try:
        snapshot = stat.S_ISDIR(os.lstat(folder / SNAPSHOT_FOLDER).st_mode)
    except OSError:
        snapshot = False
    if snapshot:
        warnings.append(
            "A Snapshot folder is present: a backup into this folder did not finish; nothing in it is served."
        )
    return warnings


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


def _protection(manifest: dict[str, Any]) -> Protection:
    keybag = _keybag(manifest)
    manifest_key = manifest.get("ManifestKey")
    if not isinstance(manifest_key, bytes) or len(manifest_key) != MANIFEST_KEY_SIZE:
        raise BackupFolderError("Manifest.plist of an encrypted backup has no valid ManifestKey.")
    return Protection(is_encrypted=True, keybag=keybag, manifest_key=manifest_key)


def _keybag(manifest: dict[str, Any]) -> bytes:
    keybag = manifest.get("BackupKeyBag")
    if not isinstance(keybag, bytes) or not keybag:
        raise BackupFolderError("Manifest.plist of an encrypted backup has no BackupKeyBag.")
    return keybag


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
