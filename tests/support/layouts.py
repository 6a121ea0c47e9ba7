"""Specs of the layouts other tools and other iOS versions leave, for the backup writer (iOS 10.0 and 10.1's
plain manifest, a decrypted copy, missing plists, a backup still being written), and a copy decrypted by
iphone_backup_decrypt itself (as mvt's `decrypt-backup` and the library's scripts make them), which checks
the writer's."""

import shutil
from dataclasses import replace
from pathlib import Path

from iphone_backup_decrypt import EncryptedBackup

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup

PAYLOAD_FLAG = 1


def decrypted_copy(source: Path, dest: Path, passphrase: str) -> None:
    """`dest` becomes `source` decrypted by iphone_backup_decrypt: Manifest.db and every payload plain,
    the plists as they were (Manifest.plist still says IsEncrypted, with its ManifestKey)."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("Manifest.db", "[0-9a-f][0-9a-f]"))
    backup = EncryptedBackup(backup_directory=str(source), passphrase=passphrase)
    backup.save_manifest_file(str(dest / "Manifest.db"))
    with backup.manifest_db_cursor() as cursor:
        rows = cursor.execute("SELECT fileID, file FROM Files WHERE flags = ?", (PAYLOAD_FLAG,)).fetchall()
    for file_id, record in rows:
        target = dest / file_id[:2] / file_id
        target.parent.mkdir(exist_ok=True)
        original = source / file_id[:2] / file_id
        if not original.exists():
            continue
        if original.stat().st_size == 0:  # an empty file has no key and nothing to decrypt
            target.write_bytes(b"")
        else:
            target.write_bytes(
                backup._decrypt_inner_file(file_id=file_id, file_bplist=record)
            )  # by id: its extract_* find files by path pattern


def ios_10_1(spec: SyntheticBackup) -> SyntheticBackup:
    """An encrypted backup as iOS 10.0 and 10.1 wrote it: payloads encrypted, Manifest.db plain."""
    return replace(spec, plain_manifest=True, product_version="10.1", build_version="14B72")


def as_decrypted_copy(spec: SyntheticBackup) -> SyntheticBackup:
    return replace(spec, decrypted_copy=True)


def in_progress(spec: SyntheticBackup) -> SyntheticBackup:
    """A backup that has not finished: Status.plist says so, and a Snapshot folder holds its next
    Manifest.db's start."""
    return replace(spec, snapshot_state="uploading")


def without(spec: SyntheticBackup, *plists: str) -> SyntheticBackup:
    return replace(spec, left_out=frozenset(plists))
