"""`ios-backup-api extract` of an encrypted backup of 10,000 files and 2 GiB into a RAM disk, beside every
peer's extraction of everything (iphone_backup_decrypt's `extract_files`, pyiosbackup's `unback`,
iOSbackup's `getFolderDecryptedCopy`) and `mvt-ios decrypt-backup`; and `ios-backup-api decrypt` (a decrypted
backup folder) beside mvt's and pyiosbackup's `extract_all`, which make the same: on the same folder, in
interleaved rounds. Each is a process of its own, timed from its start to its end (key derivation, the
manifest, every file); the payloads are read once before, so every tool reads them from the page cache."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from common.data import GIB, MIB, PASSPHRASE, Scale, cached, device, scale
from common.mvt_env import MVT_REQUIREMENT, mvt_ios
from common.peers import MVT, Peer, able, run
from common.report import Figure, Row, mebibytes, parser, publish, rate, ratio, seconds
from common.stats import interleaved, median

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


def _written(output: Path) -> tuple[int, int]:
    """The regular files and bytes under `output`, which is then removed."""
    files = size = 0
    for path in output.rglob("*"):
        if path.is_file() and not path.is_symlink():
            files += 1
            size += path.stat().st_size
    shutil.rmtree(output)
    return files, size


def _timed(command: Sequence[str], env: dict[str, str], output: Path) -> tuple[float, int, int]:
    """Seconds the command took, and the regular files and bytes it left under `output` (then removed)."""
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return (elapsed, *_written(output))


def _peer(peer: Peer, action: str, folder: Path, output: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    run(peer, action, folder, PASSPHRASE, str(output))
    return (time.perf_counter() - started, *_written(output))


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    files, total = (100, 20 * MIB) if args.smoke else (10_000, 2 * GIB)
    runs = 1 if args.smoke else 3
    base = backup_base(size, files, total)
    folder = base / EXTRACT_ID
    mvt = mvt_ios()
    _warm(folder)
    scratch = Path(
        tempfile.mkdtemp(prefix="ios-backup-bench-extract-", dir=_RAM_DISK if _RAM_DISK.is_dir() else None)
    )
    environment = {**os.environ, "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base)}
    ours_env = {**environment, "IOS_BACKUP_PASSPHRASE": PASSPHRASE}
    mvt_command = [
        str(mvt),
        "--disable-update-check",
        "--disable-indicator-update-check",
        "decrypt-backup",
        "-d",
        str(scratch / "mvt"),
        str(folder),
    ]
    extractors = able("extract_all")
    copiers = tuple(peer for peer in able("decrypted_copy") if peer is not MVT)  # mvt runs as its command
    measures = {
        "ours": partial(
            _timed, [_CLI, "extract", EXTRACT_ID, str(scratch / "ours")], ours_env, scratch / "ours"
        ),
        "our decrypt": partial(
            _timed, [_CLI, "decrypt", EXTRACT_ID, str(scratch / "copy")], ours_env, scratch / "copy"
        ),
        **{
            peer.name: partial(_peer, peer, "extract_all", folder, scratch / peer.name) for peer in extractors
        },
        **{
            f"{peer.name} copy": partial(_peer, peer, "decrypted_copy", folder, scratch / f"{peer.name}-copy")
            for peer in copiers
        },
        MVT.name: partial(
            _timed,
            mvt_command,
            {**environment, "MVT_IOS_BACKUP_PASSWORD": PASSPHRASE, "HOME": str(scratch)},
            scratch / "mvt",
        ),
    }
    try:
        results = interleaved(runs, measures)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name in ("ours", *(peer.name for peer in extractors)):
        if any(count != files for _, count, _ in results[name]):
            raise RuntimeError(f"{name} wrote {results[name]} (seconds, files, bytes) for {files} files")
    for name in ("our decrypt", MVT.name, *(f"{peer.name} copy" for peer in copiers)):
        # Manifest.db and the three plists beside the payloads
        if any(count != files + 4 for _, count, _ in results[name]):
            raise RuntimeError(
                f"{name} wrote {results[name]} (seconds, files, bytes) for {files} files and 4"
            )
    timed = {name: (median([r[0] for r in runs_]), runs_[0][2]) for name, runs_ in results.items()}
    work = f"extract {files:,} files, {mebibytes(total)} (encrypted) into a RAM disk"
    mvt_name = f"`mvt-ios decrypt-backup` ({MVT_REQUIREMENT}, its default 4 jobs)"
    copy = "decrypted copy of the same backup (`ios-backup-api decrypt`)"
    pairs = [
        (f"{work}: vs {peer.name} {peer.calls['extract_all']}", "ours", peer.name) for peer in extractors
    ]
    pairs.append((f"{work}: vs {mvt_name}", "ours", MVT.name))
    pairs.append((f"{copy}: vs {mvt_name}", "our decrypt", MVT.name))
    pairs += [
        (f"{copy}: vs {peer.name} {peer.calls['decrypted_copy']}", "our decrypt", f"{peer.name} copy")
        for peer in copiers
    ]
    rows = [
        Row(
            name,
            f"{seconds(timed[mine][0])} ({rate(timed[mine][1] / timed[mine][0])})",
            f"{seconds(timed[theirs][0])} ({rate(timed[theirs][1] / timed[theirs][0])})",
            ratio(timed[mine][0], timed[theirs][0]),
            "< 1×",
            timed[mine][0] < timed[theirs][0],
        )
        for name, mine, theirs in pairs
    ]
    figures = [
        Figure(
            f"{work}, s",
            "s",
            False,
            {"ours": timed["ours"][0], **{peer.name: timed[peer.name][0] for peer in extractors}},
        ),
        Figure(
            "decrypted copy of that backup, s (ours: `ios-backup-api decrypt`)",
            "s",
            False,
            {
                "ours": timed["our decrypt"][0],
                MVT.name: timed[MVT.name][0],
                **{peer.name: timed[f"{peer.name} copy"][0] for peer in copiers},
            },
        ),
    ]
    publish("Extract (`python bench/extract.py`)", rows, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
