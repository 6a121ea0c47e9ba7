"""The peer libraries the benchmarks set beside ours, each run by peer_run.py in a child process of its own
(its time and peak memory its own), with a temporary folder of its own: what a peer leaves there (pyiosbackup
leaves its plaintext Manifest.db behind) is measured, reported, and removed after every run.

iphone_backup_decrypt is a dependency of the service, pyiosbackup and iOSbackup are in the dev extra; mvt pins
an older iphone_backup_decrypt, so it has a virtual environment of its own (mvt_env.py). A peer that is not
installed, or that fails, stops the benchmark with the reason: no row is ever left out quietly."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from common.mvt_env import MVT_REQUIREMENT, mvt_python

_RUNNER = Path(__file__).resolve().with_name("peer_run.py")


@dataclass(frozen=True)
class Peer:
    name: str
    """peer_run.py's name for it."""
    requirement: str
    """The release measured, as pip names it."""
    calls: dict[str, str]
    """peer_run.py's actions this peer can do, and the peer's API each one calls (for the rows' labels)."""

    def python(self) -> Path:
        if self.name == "mvt":
            return mvt_python()
        distribution, _, version = self.requirement.partition("==")
        try:
            installed = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            raise RuntimeError(
                f"{distribution} is not installed: the benchmarks measure it (pip install -e '.[dev]')"
            ) from None
        if installed != version:
            raise RuntimeError(f"{distribution} {installed} is installed; the benchmarks measure {version}")
        return Path(sys.executable)

    def label(self, action: str) -> str:
        return f"{self.name} `{self.calls[action]}`"


IPHONE_BACKUP_DECRYPT = Peer(
    "iphone_backup_decrypt",
    "iphone-backup-decrypt==0.11.2",
    {
        "unlock": "EncryptedBackup.test_decryption",
        "extract_file": "extract_file",
        "as_bytes": "extract_file_as_bytes",
        "extract_all": "extract_files",
        "list_all": "manifest_db_cursor + FilePlist each",
    },
)
PYIOSBACKUP = Peer(
    "pyiosbackup",
    "pyiosbackup==0.2.4",
    {
        "unlock": "Backup.from_path",
        "extract_file": "extract_domain_and_path",
        "as_bytes": "Entry.read_bytes",
        "extract_all": "unback",
        "decrypted_copy": "extract_all",
        "list_all": "iter_entries",
    },
)
IOSBACKUP = Peer(
    "iOSbackup",
    "iOSbackup==0.9.925",
    {
        "unlock": "iOSbackup(cleartextpassword=)",
        "extract_file": "getFileDecryptedCopy",
        "as_bytes": "getRelativePathDecryptedData",
        "extract_all": "getFolderDecryptedCopy",
        "list_all": "getBackupFilesList + getFileInfo each",
    },
)
MVT = Peer(
    "mvt",
    MVT_REQUIREMENT,
    {"unlock": "DecryptBackup.decrypt_with_password", "decrypted_copy": "decrypt-backup"},
)
PEERS = (IPHONE_BACKUP_DECRYPT, PYIOSBACKUP, IOSBACKUP, MVT)


def able(action: str) -> tuple[Peer, ...]:
    return tuple(peer for peer in PEERS if action in peer.calls)


def left_in(folder: Path) -> int:
    """The bytes of the files under `folder`."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def run(peer: Peer, action: str, folder: Path, passphrase: str, *arguments: str) -> dict[str, float]:
    """peer_run.py's figures for `action`, plus `left_behind`: the bytes of the files the peer left in its
    temporary folder (removed before this returns)."""
    scratch = Path(tempfile.mkdtemp(prefix=f"ios-backup-bench-{peer.name}-"))
    command = [str(peer.python()), str(_RUNNER), peer.name, action, str(folder), passphrase, *arguments]
    try:
        done = subprocess.run(
            command, env={**os.environ, "TMPDIR": str(scratch)}, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{peer.name} {action} failed ({done.returncode}): {done.stderr[-3000:]}")
        result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
        result["left_behind"] = left_in(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result
