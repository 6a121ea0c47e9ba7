"""`ios-backup-api extract` of an encrypted backup of 10,000 files and 2 GiB into a RAM disk, beside
`mvt-ios decrypt-backup` and iphone_backup_decrypt's `extract_files` on the same folder in the same run; and
`ios-backup-api decrypt` (the same output as mvt's: a decrypted backup folder) beside mvt.
Each is a process of its own, timed from its start to its end (key derivation, the manifest, every file);
the payloads are read once before, so every tool reads them from the page cache."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from common.data import GIB, MIB, PASSPHRASE, Scale, cached, device, scale
from common.extract_anchor import __file__ as _ANCHOR
from common.mvt_env import MVT_REQUIREMENT, mvt_ios
from common.report import Row, mebibytes, parser, publish, rate, ratio, seconds

from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup

EXTRACT_ID = "00008110-0000000000000004"
_RAM_DISK = Path("/dev/shm")
_CLI = str(Path(sys.executable).with_name("ios-backup-api"))
_DOMAINS = ("CameraRollDomain", "HomeDomain", "AppDomain-com.example.chat", "MediaDomain")


def _entries(files: int, total: int) -> tuple[SyntheticFile, ...]:
    """`files` files of `total` bytes in all, as a phone's are: most small, a few large (half the bytes)."""
    large = max(1, files // 200)
    small = files - large
    small_sizes = [(4096 * (1 + index % 50)) for index in range(small)]
    large_size = (total - sum(small_sizes)) // large
    sizes = small_sizes + [large_size] * large
    return tuple(
        SyntheticFile.of_size(
            _DOMAINS[index % len(_DOMAINS)],
            f"Library/Data/{index // 500:03d}/file {index:05d}.bin",
            size,
            index,
        )
        for index, size in enumerate(sizes)
    )


def backup_base(size: Scale, files: int, total: int) -> Path:
    base = size.root / f"extract-{files}x{total // MIB}MiB"
    entries = _entries(files, total)
    spec = device(EXTRACT_ID, PASSPHRASE, 1000, entries)
    cached(base / EXTRACT_ID, lambda folder: write_backup(folder, spec, seed=4))
    return base


def _warm(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as file:
                while file.read(8 * MIB):
                    pass


def _timed(command: Sequence[str], env: dict[str, str], output: Path) -> tuple[float, int, int]:
    """Seconds the command took, and the regular files and bytes it left under `output` (then removed)."""
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    files = size = 0
    for path in output.rglob("*"):
        if path.is_file() and not path.is_symlink():
            files += 1
            size += path.stat().st_size
    shutil.rmtree(output)
    return elapsed, files, size


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    files, total = (100, 20 * MIB) if args.smoke else (10_000, 2 * GIB)
    base = backup_base(size, files, total)
    folder = base / EXTRACT_ID
    mvt = mvt_ios()
    _warm(folder)
    scratch = Path(
        tempfile.mkdtemp(prefix="ios-backup-bench-extract-", dir=_RAM_DISK if _RAM_DISK.is_dir() else None)
    )
    environment = {**os.environ, "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base)}
    try:
        ours = _timed(
            [_CLI, "extract", EXTRACT_ID, str(scratch / "ours")],
            {**environment, "IOS_BACKUP_PASSPHRASE": PASSPHRASE},
            scratch / "ours",
        )
        ours_copy = _timed(
            [_CLI, "decrypt", EXTRACT_ID, str(scratch / "copy")],
            {**environment, "IOS_BACKUP_PASSPHRASE": PASSPHRASE},
            scratch / "copy",
        )
        library = _timed(
            [sys.executable, _ANCHOR, str(folder), PASSPHRASE, str(scratch / "library")],
            environment,
            scratch / "library",
        )
        mvt_run = (
            None
            if mvt is None
            else _timed(
                [
                    str(mvt),
                    "--disable-update-check",
                    "--disable-indicator-update-check",
                    "decrypt-backup",
                    "-d",
                    str(scratch / "mvt"),
                    str(folder),
                ],
                {**environment, "MVT_IOS_BACKUP_PASSWORD": PASSPHRASE, "HOME": str(scratch)},
                scratch / "mvt",
            )
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name, (_, count, _) in (("ours", ours), ("iphone_backup_decrypt", library)):
        if count != files:
            raise RuntimeError(f"{name} wrote {count} files of {files}")
    for name, run in (("our decrypt", ours_copy), ("mvt", mvt_run)):
        if run is not None and run[1] != files + 4:  # Manifest.db and the three plists beside the payloads
            raise RuntimeError(f"{name} wrote {run[1]} files for {files} and the folder's four")
    work = f"extract {files:,} files, {mebibytes(total)} (encrypted) into a RAM disk"
    mvt_name = f"`mvt-ios decrypt-backup` ({MVT_REQUIREMENT}, its default 4 jobs)"
    pairs = (
        (f"{work}: vs iphone_backup_decrypt extract_files", ours, library),
        (f"{work}: vs {mvt_name}", ours, mvt_run),
        (f"decrypted copy of the same backup (`ios-backup-api decrypt`): vs {mvt_name}", ours_copy, mvt_run),
    )
    rows = [
        Row(
            name,
            f"{seconds(mine[0])} ({rate(mine[2] / mine[0])})",
            f"{seconds(anchor[0])} ({rate(anchor[2] / anchor[0])})",
            ratio(mine[0], anchor[0]),
            "< 1×",
            mine[0] < anchor[0],
        )
        if anchor is not None
        else Row(name, f"{seconds(mine[0])} ({rate(mine[2] / mine[0])})", "not installed (smoke run)")
        for name, mine, anchor in pairs
    ]
    publish("Extract (`python bench/extract.py`)", rows, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
