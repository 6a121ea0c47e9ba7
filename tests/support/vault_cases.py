"""The vault's test data: the rich sample with a plaintext marker, what its manifest must list, and a
fake vault holding the same backup."""

import os
import plistlib
import secrets
import shutil
import sqlite3
import stat
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.backup_folder.layout import ManifestFormat
from ios_backup_api.adapters.backup_writer.keybag import encode_tlv
from ios_backup_api.adapters.backup_writer.samples import rich_backup
from ios_backup_api.adapters.backup_writer.spec import (
    Layout,
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticEntry,
    SyntheticFile,
    SyntheticSymlink,
)
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.adapters.sql.ram_file import RamFiles, is_tmpfs
from ios_backup_api.adapters.vault.handle import IosOpenBackup
from ios_backup_api.adapters.vault.manifest_buffer import ManifestBuffer
from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase
from ios_backup_api.adapters.vault.manifest_loader import ManifestLoader
from ios_backup_api.adapters.vault.vault import IosBackupVault
from ios_backup_api.domain.manifest import EntryKind, ManifestEntry
from tests.fakes.vault import InMemoryBackupVault
from tests.support.backups import (
    FAST_DPIC,
    FAST_ITER,
    MBDB_ENCRYPTED_ID,
    MBDB_PLAIN_ID,
    PASSPHRASE,
    as_mbdb,
    encrypted_spec,
    plain_spec,
)

MARKER = f"plaintext-marker-{secrets.token_hex(12)}"
"""In the content and a file name of the samples: found on disk only where plaintext is expected."""
MARKER_DOMAIN = "AppDomain-com.example.notes"


def _with_marker(spec: SyntheticBackup) -> SyntheticBackup:
    marked = (MARKER.encode() + b"\n") * 3000  # about 100 KB, so it spans many AES blocks
    return replace(
        spec,
        entries=(
            *spec.entries,
            SyntheticFile(MARKER_DOMAIN, f"Documents/{MARKER} note.txt", marked, protection_class=2),
        ),
    )


def marked_encrypted_spec() -> SyntheticBackup:
    return _with_marker(encrypted_spec())


def marked_plain_spec() -> SyntheticBackup:
    return _with_marker(plain_spec())


def marked_mbdb_specs() -> dict[str, SyntheticBackup]:
    """The marked samples in the Manifest.mbdb layout (iOS 4 to 9), encrypted and not, by folder name."""
    return {
        MBDB_ENCRYPTED_ID: as_mbdb(marked_encrypted_spec(), MBDB_ENCRYPTED_ID),
        MBDB_PLAIN_ID: as_mbdb(marked_plain_spec(), MBDB_PLAIN_ID),
    }


SMALL_ID = "small-backup"
MIB = 1 << 20


def small_spec(
    encrypted: bool, dpic_iterations: int = FAST_DPIC, layout: Layout = Layout.MANIFEST_DB
) -> SyntheticBackup:
    """A few files, one of them 3 MiB: quick to write, for tests that damage a backup."""
    entries = (
        SyntheticDirectory("HomeDomain", "Library", protection_class=3),
        SyntheticFile("HomeDomain", "Library/sixteen.bin", b"0123456789abcdef", protection_class=3),
        SyntheticFile("HomeDomain", "Library/notes.txt", f"{MARKER}\n".encode(), protection_class=4),
        SyntheticSymlink("HomeDomain", "Library/link", "/private/var/mobile/Library/notes.txt"),
        SyntheticFile.of_size("CameraRollDomain", "Media/big.bin", 3 * MIB + 7, seed=5, protection_class=1),
    )
    passphrase = PASSPHRASE if encrypted else None
    return replace(rich_backup(passphrase, dpic_iterations, FAST_ITER), entries=entries, layout=layout)


def write_small(
    root: Path, encrypted: bool, dpic_iterations: int = FAST_DPIC, layout: Layout = Layout.MANIFEST_DB
) -> tuple[Path, SyntheticBackup]:
    """`small_spec` written as `root/SMALL_ID`; returns its folder."""
    spec = small_spec(encrypted, dpic_iterations, layout)
    write_backup(root / SMALL_ID, spec, seed=3)
    return root / SMALL_ID, spec


RAM_FOLDER = Path("/dev/shm")
SERIAL = 16 << 20
"""The default threshold of a two-thread decrypt: every test manifest is below it."""
PARALLEL = 4096
"""A threshold every test manifest is above."""


class CountingLoader(ManifestLoader):
    """The real loader, keeping each database it loaded: a test can tell how often it loaded and whether
    a database was dropped (its queries then raise `SessionRequiredError`)."""

    def __init__(
        self,
        ram_files: RamFiles | None = None,
        parallel_from: int = SERIAL,
        read_ahead_max: int = 1 << 40,
        paged_from: int | None = None,
    ) -> None:
        super().__init__(ram_files, parallel_from, read_ahead_max, paged_from)
        self.loaded: list[ManifestDatabase] = []
        self.reads = 0
        self.ahead_kept: list[bool] = []
        """Whether each read beside a key derivation kept the file's bytes."""

    def read(self, path: Path, stop: threading.Event | None = None) -> ManifestBuffer:
        self.reads += 1
        return super().read(path, stop)

    def read_ahead(self, path: Path, stop: threading.Event) -> ManifestBuffer | None:
        buffer = super().read_ahead(path, stop)
        self.ahead_kept.append(buffer is not None)
        return buffer

    def load(
        self,
        path: Path,
        manifest_key: bytes | None,
        read_ahead: ManifestBuffer | None = None,
        manifest_format: ManifestFormat = ManifestFormat.SQLITE,
    ) -> ManifestDatabase:
        database = super().load(path, manifest_key, read_ahead, manifest_format)
        self.loaded.append(database)
        return database


def ram_files() -> RamFiles:
    """RAM files where the service makes them; a machine without that tmpfs fails the tests that need it."""
    assert is_tmpfs(RAM_FOLDER), f"{RAM_FOLDER} is not a tmpfs here: the RAM-file strategy can't be tested"
    return RamFiles(RAM_FOLDER)


LOADERS: dict[str, Callable[[], ManifestLoader]] = {
    "ram-file": lambda: CountingLoader(ram_files(), SERIAL),
    "in-process": lambda: CountingLoader(None, SERIAL),
    "ram-file-parallel": lambda: CountingLoader(ram_files(), PARALLEL),
    "in-process-parallel": lambda: CountingLoader(None, PARALLEL),
    "paged": lambda: CountingLoader(ram_files(), SERIAL, paged_from=0),
}
"""Every way the service holds and decrypts a manifest: the vault's contract runs over each."""


DEFAULT_LOADER = ["ram-file"]
"""The loader `folder_vault` takes when given none; a test module may run its tests over others."""


def folder_vault(root: Path, loader: ManifestLoader | None = None) -> IosBackupVault:
    """The real vault over the backups under `root`, by default as the service runs on Linux."""
    return IosBackupVault(BackupFolders(root), loader or LOADERS[DEFAULT_LOADER[0]](), derivation_threads=4)


async def opened_completed(base: Path) -> IosOpenBackup:
    """The small unencrypted backup under `base`, opened by the default loader once its manifest has done
    all its work after the unlock (a paged one's records decoded)."""
    loader = LOADERS[DEFAULT_LOADER[0]]()
    handle = await folder_vault(base, loader).open(SMALL_ID, None)
    loader.loaded[0].wait_completed()
    return handle


def add_rows(folder: Path, rows: list[tuple[str, str, bytes]]) -> None:
    """Regular-file rows of (domain, relative path, record) added to the backup's plain Manifest.db."""
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.executemany(
            "INSERT INTO Files VALUES (?, ?, ?, 1, ?)",
            ((f"{n:040x}", domain, path, record) for n, (domain, path, record) in enumerate(rows)),
        )
        connection.commit()


def folder_snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """The bytes and modification time of every file under `folder`, by relative path."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def payload_of(folder: Path, file_id: str) -> Path:
    """Where the payload is: `<id[:2]>/<id>`, or `<id>` in a Manifest.mbdb backup."""
    return folder / file_id if (folder / "Manifest.mbdb").is_file() else folder / file_id[:2] / file_id


def expected_entry(entry: SyntheticEntry) -> ManifestEntry:
    """The entry a vault must list for a row the writer wrote."""
    modified_at = datetime.fromtimestamp(entry.modified_at, UTC)
    if isinstance(entry, SyntheticFile):
        return ManifestEntry(
            entry.file_id, entry.domain, entry.relative_path, EntryKind.FILE,
            entry.size, entry.mode, modified_at, entry.protection_class, None,
        )  # fmt: skip
    if isinstance(entry, SyntheticDirectory):
        return ManifestEntry(
            entry.file_id, entry.domain, entry.relative_path, EntryKind.DIRECTORY,
            0, entry.mode, modified_at, entry.protection_class, None,
        )  # fmt: skip
    return ManifestEntry(
        entry.file_id, entry.domain, entry.relative_path, EntryKind.SYMLINK,
        0, entry.mode, modified_at, 0, entry.target,
    )  # fmt: skip


def expected_listing(spec: SyntheticBackup) -> list[ManifestEntry]:
    """Every entry, ordered by domain, relative path (code point) and file id."""
    entries = [expected_entry(entry) for entry in spec.all_entries()]
    return sorted(entries, key=lambda entry: (entry.domain, entry.relative_path, entry.file_id))


def fake_vault(
    backup_id: str, spec: SyntheticBackup, without_content: str | None = None
) -> InMemoryBackupVault:
    """A fake holding `spec` as `backup_id`; the regular file `without_content` has no payload."""
    vault = InMemoryBackupVault()
    vault.add_backup(
        backup_id,
        spec.passphrase,
        [
            (
                expected_entry(entry),
                entry.read_bytes()
                if isinstance(entry, SyntheticFile) and entry.file_id != without_content
                else None,
            )
            for entry in spec.all_entries()
        ],
    )
    return vault


def copy_without_payload(folder: Path, into: Path, file_id: str) -> Path:
    """A copy of the backup at `folder` as `into/<same name>`, with one payload deleted."""
    copy = into / folder.name
    shutil.copytree(folder, copy)
    payload_of(copy, file_id).unlink()
    return copy


def decode_tlv(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The (tag, value) items of a keybag, the inverse of the writer's `encode_tlv`."""
    offset = 0
    while offset + 8 <= len(data):
        tag = data[offset : offset + 4]
        (length,) = struct.unpack(">L", data[offset + 4 : offset + 8])
        yield tag, data[offset + 8 : offset + 8 + length]
        offset += 8 + length


def set_keybag_value(folder: Path, tag: bytes, value: int) -> None:
    """Rewrites one integer of the keybag in the backup's Manifest.plist (e.g. DPIC)."""
    path = folder / "Manifest.plist"
    manifest = plistlib.loads(path.read_bytes())
    items = [(name, value if name == tag else data) for name, data in decode_tlv(manifest["BackupKeyBag"])]
    manifest["BackupKeyBag"] = encode_tlv(list(items))
    path.write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))


def files_holding(marker: bytes, since: float, roots: list[Path]) -> Iterator[Path]:
    """Regular files under `roots` (or among them) modified since `since` (a time.time()) whose bytes
    contain `marker`."""
    for root in roots:
        if _recent_regular_file(root, since) and _contains(root, marker):
            yield root
        for directory, _, names in os.walk(root, onerror=lambda _: None):
            for name in names:
                path = Path(directory, name)
                if _recent_regular_file(path, since) and _contains(path, marker):
                    yield path


def plaintext_by_design(path: Path) -> bool:
    """Whether the backup itself holds `path` in plaintext: a file of an unencrypted backup, or a
    Manifest.mbdb (iOS 4 to 9 never encrypt it, so the file names it lists are readable in any backup)."""
    return path.name == "Manifest.mbdb" or in_unencrypted_backup(path)


def in_unencrypted_backup(path: Path) -> bool:
    """Whether `path` holds plaintext by design: inside a backup folder whose Manifest.plist says it is not
    encrypted, or that is a decrypted copy (a plain Manifest.db beside a ManifestKey); or it is the plain
    Manifest.db of iOS 10.0 and 10.1's layout. (Manifest.mbdb, never encrypted, is the test's to allow.)"""
    for parent in path.parents:
        manifest = parent / "Manifest.plist"
        if manifest.is_file():
            plist = plistlib.loads(manifest.read_bytes())
            database = parent / "Manifest.db"
            plain_db = database.is_file() and database.read_bytes()[:16] == b"SQLite format 3\x00"
            if plist.get("IsEncrypted") is False or (plain_db and "ManifestKey" in plist):
                return True
            return plain_db and path == database
    return False


def temporary_root() -> Path:
    return Path(tempfile.gettempdir())


def scratch_roots(own: Path) -> list[Path]:
    """Where anything a test's code writes lands but in named folders: the test's own folder (`own`, its
    tmp_path), the temporary folder's contents but pytest's folders of the other tests (a scan of those
    would read everything the suite wrote), RAM disks and /var/tmp."""
    others = [path for path in temporary_root().iterdir() if not path.name.startswith("pytest-of-")]
    return [own, *others, Path("/dev/shm"), Path("/var/tmp")]


def _recent_regular_file(path: Path, since: float) -> bool:
    try:
        status = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and status.st_mtime >= since


def _contains(path: Path, marker: bytes) -> bool:
    overlap = b""
    try:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                if marker in overlap + chunk:
                    return True
                overlap = chunk[-len(marker) :]
    except OSError:
        return False
    return False
