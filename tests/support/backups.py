"""Generated backups for tests: the rich sample, encrypted with a non-ASCII passphrase and unencrypted."""

from dataclasses import replace
from pathlib import Path

from ios_backup_api.adapters.backup_writer.samples import rich_backup
from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup

PASSPHRASE = "Pässwörd ñ 日本 🔑"
ENCRYPTED_ID = "00008110-001A2B3C4D5E801E"
PLAIN_ID = "3f2a9c4b5d6e7f8091a2b3c4d5e6f708192a3b4c"
FAST_DPIC = 1000
FAST_ITER = 10


def encrypted_spec() -> SyntheticBackup:
    return rich_backup(PASSPHRASE, FAST_DPIC, FAST_ITER)


def plain_spec() -> SyntheticBackup:
    return replace(rich_backup(None, FAST_DPIC, FAST_ITER), udid=PLAIN_ID, device_name="Grace's iPad")


def write_samples(root: Path) -> dict[str, SyntheticBackup]:
    """Both samples under `root`, by folder name."""
    specs = {ENCRYPTED_ID: encrypted_spec(), PLAIN_ID: plain_spec()}
    for name, spec in specs.items():
        write_backup(root / name, spec, seed=7)
    return specs


def regular_files(spec: SyntheticBackup) -> list[SyntheticFile]:
    return [entry for entry in spec.all_entries() if isinstance(entry, SyntheticFile)]
