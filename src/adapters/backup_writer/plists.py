"""Info.plist (written by the host), Manifest.plist (the device's, with the keybag) and Status.plist."""

import plistlib
import uuid
from datetime import UTC, datetime

from ios_backup_api.adapters.backup_writer.keys import BackupKeys
from ios_backup_api.adapters.backup_writer.spec import Layout, SyntheticBackup

_ITUNES_VERSION = "12.13.2.3"
_SYSTEM_DOMAINS_VERSION = "24.0"
_APP_NAMESPACE = uuid.UUID("6f0c4a4e-1c55-4d0e-9c87-5e0f4f6c2b1a")


def _plist_date(moment: datetime) -> datetime:
    # plistlib (before 3.12) writes naive datetimes and takes them as UTC.
    return moment.astimezone(UTC).replace(tzinfo=None)


def info_plist(backup: SyntheticBackup, guid: uuid.UUID) -> bytes:
    info: dict[str, object] = {
        "Build Version": backup.build_version,
        "Device Name": backup.device_name,
        "Display Name": backup.display_name,
        "GUID": guid.hex.upper(),
        "Installed Applications": list(backup.app_bundle_ids),
        "Last Backup Date": _plist_date(backup.last_backup_at),
        "Product Type": backup.product_type,
        "Product Version": backup.product_version,
        "Serial Number": backup.serial_number,
        "Target Identifier": backup.udid.lower(),
        "Target Type": "Device",
        "Unique Identifier": backup.udid.upper(),
        "iTunes Files": {},
        "iTunes Settings": {},
        "iTunes Version": _ITUNES_VERSION,
    }
    if backup.product_name is not None:
        info["Product Name"] = backup.product_name
    return plistlib.dumps(info, fmt=plistlib.FMT_XML)


def _application(bundle_id: str) -> dict[str, str]:
    container = uuid.uuid5(_APP_NAMESPACE, bundle_id)
    return {
        "CFBundleIdentifier": bundle_id,
        "CFBundleVersion": "1.0",
        "ContainerContentClass": "Data/Application",
        "Path": f"/private/var/containers/Bundle/Application/{str(container).upper()}/App.app",
    }


def manifest_plist(backup: SyntheticBackup, keys: BackupKeys) -> bytes:
    manifest: dict[str, object] = {
        "Applications": {bundle_id: _application(bundle_id) for bundle_id in backup.app_bundle_ids},
        "BackupKeyBag": keys.keybag,
        "Date": _plist_date(backup.last_backup_at),
        "IsEncrypted": backup.is_encrypted,
        "Lockdown": {
            "BuildVersion": backup.build_version,
            "DeviceName": backup.device_name,
            "ProductType": backup.product_type,
            "ProductVersion": backup.product_version,
            "SerialNumber": backup.serial_number,
            "UniqueDeviceID": backup.udid,
        },
        "SystemDomainsVersion": _SYSTEM_DOMAINS_VERSION,
        "Version": "10.0" if backup.layout is Layout.MANIFEST_DB else "9.1",
        "WasPasscodeSet": backup.was_passcode_set,
    }
    if backup.is_encrypted and backup.layout is Layout.MANIFEST_DB and not backup.plain_manifest:
        # Manifest.mbdb is never encrypted; iOS 10.0 and 10.1 left Manifest.db plain
        manifest["ManifestKey"] = keys.manifest_key_record
    return plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY)


def status_plist(backup: SyntheticBackup, snapshot: uuid.UUID) -> bytes:
    status = {
        "BackupState": "new",
        "Date": _plist_date(backup.last_backup_at),
        "IsFullBackup": True,
        "SnapshotState": backup.snapshot_state,
        "UUID": str(snapshot).upper(),
        "Version": "3.3",
    }
    return plistlib.dumps(status, fmt=plistlib.FMT_BINARY)
