"""The benchmarks' data: backups written by adapters.backup_writer from a seed, cached under bench/.data.

A data set is written into a temporary folder and renamed into place when complete, so an interrupted run
never leaves a half-written set behind; it is regenerated only when missing.
"""

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ios_backup_api.adapters.backup_writer.spec import (
    SyntheticBackup,
    SyntheticEntry,
    SyntheticFile,
)
from ios_backup_api.adapters.backup_writer.writer import write_backup

DATA_ROOT = Path(__file__).resolve().parent.parent / ".data"
PASSPHRASE = "bench passphrase ✓"
MIB = 1 << 20
GIB = 1 << 30
_FORMAT = "v1"  # bump when a generator changes, so stale caches are written again


@dataclass(frozen=True)
class Scale:
    """How big the data is: the real figures, or `--smoke` ones that run in seconds."""

    name: str
    dpic: int
    manifest_rows: int
    big_file: int
    memory_file: int
    refresh_backups: int
    refresh_files: int
    view_messages: int
    """The messages in the sms.db of the typed views' phone."""

    @property
    def root(self) -> Path:
        return DATA_ROOT / f"{_FORMAT}-{self.name}"


FULL = Scale("full", 10_000_000, 300_000, GIB, 64 * MIB, 200, 500, 100_000)
SMOKE = Scale("smoke", 1000, 600, 4 * MIB, MIB, 4, 5, 500)


def scale(smoke: bool) -> Scale:
    return SMOKE if smoke else FULL


def cached(folder: Path, write: Callable[[Path], None]) -> Path:
    """`folder`, written by `write(temporary folder)` when it does not exist yet. Two runs writing it at
    once each write their own temporary folder; the first to finish wins."""
    if folder.exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    print(f"writing the data set {folder.name} (once; cached in {folder.parent}) ...", flush=True)
    try:
        write(partial)
        partial.rename(folder)
    except OSError:
        if not folder.exists():
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def device(
    udid: str, passphrase: str | None, dpic: int, entries: tuple[SyntheticEntry, ...]
) -> SyntheticBackup:
    return SyntheticBackup(
        udid=udid,
        device_name="Bench iPhone",
        display_name="Bench iPhone",
        product_type="iPhone15,2",
        product_version="17.5.1",
        build_version="21F90",
        serial_number="BENCH0000001",
        last_backup_at=datetime(2024, 6, 1, 9, 30, tzinfo=UTC),
        passphrase=passphrase,
        dpic_iterations=dpic,
        entries=entries,
    )


SMALL_ID = "00008110-0000000000000001"
BIG_ID = "00008110-0000000000000002"
CONTENT_ID = "00008110-0000000000000003"
BIG_FILE = ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.MOV")
MEMORY_FILE = ("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0002.MOV")


def phones(size: Scale) -> Path:
    """The base folder of three encrypted backups: a small manifest and a big one (both with the scale's
    key-derivation iterations), and one holding the big file and the in-memory one (cheap to unlock)."""
    base = size.root / "phones"
    cached(base / SMALL_ID, lambda folder: _write_small(folder, size))
    cached(base / BIG_ID, lambda folder: _write_big(folder, size))
    cached(base / CONTENT_ID, lambda folder: _write_content(folder, size))
    return base


ARCHIVE_ID = "00008110-0000000000000004"
ARCHIVE_FOLDER = ("CameraRollDomain", "Media/DCIM/101APPLE/")
"""A folder of large files, the archive whose rate is set beside a single file's download."""


def archive_backup(size: Scale, large_gib: int) -> Path:
    """The base folder of one encrypted backup: `ARCHIVE_FOLDER` holding 8 files that add up to the scale's
    big file, and files of 1 GiB (1 MiB in a smoke run) beside it up to `large_gib` GiB in all."""
    base = size.root / f"archive-{large_gib}"
    unit = GIB if size is FULL else MIB
    folder_files = tuple(
        SyntheticFile.of_size(
            ARCHIVE_FOLDER[0], f"{ARCHIVE_FOLDER[1]}IMG_{n:04}.MOV", size.big_file // 8, seed=40 + n
        )
        for n in range(8)
    )
    rest = tuple(
        SyntheticFile.of_size(ARCHIVE_FOLDER[0], f"Media/DCIM/102APPLE/IMG_{n:04}.MOV", unit, seed=60 + n)
        for n in range(max(0, (large_gib * unit - size.big_file) // unit))
    )
    entries = folder_files + rest
    cached(
        base / ARCHIVE_ID,
        lambda out: write_backup(out, device(ARCHIVE_ID, PASSPHRASE, 1000, entries), seed=4),
    )
    return base


SIZED_ROWS = (66_000, 200_000)
"""Manifests of about 64 MiB and of 200,000 rows, whose memory issue 15 sets targets for (smoke: a tenth)."""


def sized_manifests(size: Scale) -> dict[int, tuple[Path, str]]:
    """(base folder, backup id) of an encrypted backup with a manifest of each of `SIZED_ROWS` rows, by rows:
    the big manifest's generator, a cheap key derivation (memory does not depend on it)."""
    from common.manifests import manifest_entries

    found = {}
    for number, rows in enumerate(SIZED_ROWS if size is FULL else (600, 1200)):
        backup_id = f"00008110-00000000000001{number:02}"
        base = size.root / f"sized-{rows}"
        cached(
            base / backup_id,
            lambda folder, rows=rows, backup_id=backup_id: write_backup(
                folder, device(backup_id, PASSPHRASE, 1000, manifest_entries(rows, 2)), seed=5
            ),
        )
        found[rows] = (base, backup_id)
    return found


def _write_small(folder: Path, size: Scale) -> None:
    from ios_backup_api.adapters.backup_writer.samples import rich_backup

    write_backup(folder, device(SMALL_ID, PASSPHRASE, size.dpic, rich_backup(None).entries), seed=1)


def _write_big(folder: Path, size: Scale) -> None:
    from common.manifests import manifest_entries

    write_backup(
        folder, device(BIG_ID, PASSPHRASE, size.dpic, manifest_entries(size.manifest_rows, 2)), seed=2
    )


def _write_content(folder: Path, size: Scale) -> None:
    entries = (
        SyntheticFile.of_size(*BIG_FILE, size.big_file, seed=3),
        SyntheticFile.of_size(*MEMORY_FILE, size.memory_file, seed=4),
    )
    write_backup(folder, device(CONTENT_ID, PASSPHRASE, 1000, entries), seed=3)


VIEWS_ID = "00008110-0000000000000004"
SMS = ("HomeDomain", "Library/SMS/sms.db")


def views_phone(size: Scale) -> Path:
    """The base folder of one encrypted backup holding every app of the typed views, its sms.db with the
    scale's number of messages (the newest in its -wal, as on a phone)."""
    from ios_backup_api.adapters.backup_writer.apps.phone import app_entries

    def write(folder: Path) -> None:
        entries = tuple(app_entries(17, wal=True, seed=4, messages=size.view_messages))
        write_backup(folder, device(VIEWS_ID, PASSPHRASE, size.dpic, entries), seed=4)

    base = size.root / "views"
    cached(base / VIEWS_ID, write)
    return base


def refresh_base(size: Scale, backups: int, files: int) -> Path:
    """`backups` small unencrypted backups of `files` regular files each."""

    def write(base: Path) -> None:
        base.mkdir(parents=True)
        for number in range(backups):
            udid = f"{number:040x}"
            entries = tuple(
                SyntheticFile("HomeDomain", f"Library/Files/{index:05d}.bin", b"x" * 100)
                for index in range(files)
            )
            write_backup(base / udid, device(udid, None, 1, entries), seed=number)

    return cached(size.root / f"refresh-{backups}x{files}", write)
