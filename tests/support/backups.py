"""Generated backups for tests: the rich sample, encrypted with a non-ASCII passphrase and unencrypted."""

import hashlib
import os
from dataclasses import replace
from pathlib import Path

from ios_backup_api.adapters.backup_writer.samples import rich_backup
from ios_backup_api.adapters.backup_writer.spec import Layout, SyntheticBackup, SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup

PASSPHRASE = "Pässwörd ñ 日本 🔑"
ENCRYPTED_ID = "00008110-001A2B3C4D5E801E"
PLAIN_ID = "3f2a9c4b5d6e7f8091a2b3c4d5e6f708192a3b4c"
MBDB_ENCRYPTED_ID = "9a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
MBDB_PLAIN_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0fedcba98"
FAST_DPIC = 1000
FAST_ITER = 10


def encrypted_spec() -> SyntheticBackup:
    return rich_backup(PASSPHRASE, FAST_DPIC, FAST_ITER)


def plain_spec() -> SyntheticBackup:
    return replace(rich_backup(None, FAST_DPIC, FAST_ITER), udid=PLAIN_ID, device_name="Grace's iPad")


def as_mbdb(spec: SyntheticBackup, udid: str) -> SyntheticBackup:
    """The same entries as an iOS 9 backup: Manifest.mbdb, payloads at the root, a keybag of before 10.2."""
    return replace(
        spec,
        layout=Layout.MANIFEST_MBDB,
        udid=udid,
        product_type="iPhone8,1",
        product_version="9.3.5",
        build_version="13G36",
        product_name="iPhone 6s",
    )


def mbdb_specs() -> dict[str, SyntheticBackup]:
    """The rich sample in the mbdb layout, encrypted and not, by folder name."""
    return {
        MBDB_ENCRYPTED_ID: as_mbdb(encrypted_spec(), MBDB_ENCRYPTED_ID),
        MBDB_PLAIN_ID: as_mbdb(plain_spec(), MBDB_PLAIN_ID),
    }


def write_samples(root: Path) -> dict[str, SyntheticBackup]:
    """Both samples under `root`, by folder name."""
    specs = {ENCRYPTED_ID: encrypted_spec(), PLAIN_ID: plain_spec()}
    for name, spec in specs.items():
        write_backup(root / name, spec, seed=7)
    return specs


def regular_files(spec: SyntheticBackup) -> list[SyntheticFile]:
    return [entry for entry in spec.all_entries() if isinstance(entry, SyntheticFile)]


def tree_digests(folder: Path) -> dict[str, str]:
    """Everything under `folder` by its path: a file by the SHA-256 of its bytes, a link by its target (not
    followed), a folder as such; equal trees are byte-for-byte the same."""
    digests = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            digest = f"link to {os.readlink(path)}"
        elif path.is_dir():
            digest = "folder"
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        digests[str(path.relative_to(folder))] = digest
    return digests
