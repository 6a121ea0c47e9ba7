"""Writes a whole backup folder from a SyntheticBackup."""

import hashlib
import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from ios_backup_api.adapters.backup_writer.content import CHUNK_SIZE
from ios_backup_api.adapters.backup_writer.crypto import encrypt_chunks
from ios_backup_api.adapters.backup_writer.keys import BackupKeys, create_backup_keys
from ios_backup_api.adapters.backup_writer.manifest import (
    FLAG_DIRECTORY,
    FLAG_FILE,
    FLAG_SYMLINK,
    ManifestRow,
    write_manifest_db,
)
from ios_backup_api.adapters.backup_writer.mbdb import MbdbRecord, write_manifest_mbdb
from ios_backup_api.adapters.backup_writer.mbfile import encode_mbfile
from ios_backup_api.adapters.backup_writer.payloads import write_payload
from ios_backup_api.adapters.backup_writer.plists import info_plist, manifest_plist, status_plist
from ios_backup_api.adapters.backup_writer.randomness import RandomSource, random_source, random_uuid
from ios_backup_api.adapters.backup_writer.spec import (
    Layout,
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticEntry,
    SyntheticFile,
    SyntheticSymlink,
)

_FILE_KEY_SIZE = 32
_FIRST_INODE = 100_000
_PLAINTEXT_MANIFEST = ".Manifest.db.plaintext"


def write_backup(folder: Path, backup: SyntheticBackup, *, seed: int | None = None) -> None:
    """Writes `backup` into `folder` (created if missing; it must be empty): Info.plist, Manifest.plist,
    Status.plist, the manifest and one payload per regular file, in the spec's layout (Manifest.db and
    `<id[:2]>/<id>` payloads, or Manifest.mbdb and `<id>` payloads with a keybag without DPSL/DPIC).

    With a `seed`, every salt, key and UUID comes from a generator seeded with it, so the same spec and
    seed give the same bytes; without one they come from the system's secure generator.
    Raises FileExistsError when `folder` is not empty, ValueError when two entries share a file ID.
    """
    entries = backup.all_entries()
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty")
    random = random_source(seed)
    mbdb = backup.layout is Layout.MANIFEST_MBDB
    keys = create_backup_keys(
        backup.passphrase,
        dpic_iterations=backup.dpic_iterations,
        iter_iterations=backup.iter_iterations,
        random=random,
        legacy=mbdb or backup.plain_manifest,  # DPSL/DPIC came with iOS 10.2's ManifestKey
    )
    guid, snapshot = random_uuid(random), random_uuid(random)
    file_keys = keys if backup.is_encrypted else None
    plain = backup.decrypted_copy
    if mbdb:
        written = _payloads_written(folder, entries, file_keys, random, flat=True, plain=plain)
        write_manifest_mbdb(folder / "Manifest.mbdb", (_mbdb_record(*each) for each in written))
    else:
        encrypt = not (backup.plain_manifest or plain)
        _write_manifest_db(folder, entries, file_keys, random, encrypt=encrypt, plain=plain)
    plists: dict[str, Callable[[], bytes]] = {
        "Info.plist": partial(info_plist, backup, guid),
        "Manifest.plist": partial(manifest_plist, backup, keys),
        "Status.plist": partial(status_plist, backup, snapshot),
    }
    for name, contents in plists.items():
        if name not in backup.left_out:
            (folder / name).write_bytes(contents())
    if backup.snapshot_state != "finished":
        (folder / "Snapshot").mkdir()
        (folder / "Snapshot" / "Manifest.db").write_bytes(b"SQLite format 3\x00" + bytes(84))


def _write_manifest_db(
    folder: Path,
    entries: tuple[SyntheticEntry, ...],
    keys: BackupKeys | None,
    random: RandomSource,
    *,
    encrypt: bool,
    plain: bool,
) -> None:
    plaintext = folder / _PLAINTEXT_MANIFEST
    try:
        written = _payloads_written(folder, entries, keys, random, flat=False, plain=plain)
        rows = (_manifest_row(*each) for each in written)
        write_manifest_db(plaintext, rows)
        if keys is None or not encrypt:
            plaintext.replace(folder / "Manifest.db")
            return
        with plaintext.open("rb") as source, (folder / "Manifest.db").open("wb") as out:
            for chunk in encrypt_chunks(keys.manifest_key, iter(lambda: source.read(CHUNK_SIZE), b"")):
                out.write(chunk)
    finally:
        plaintext.unlink(missing_ok=True)


def _payloads_written(
    folder: Path,
    entries: tuple[SyntheticEntry, ...],
    keys: BackupKeys | None,
    random: RandomSource,
    *,
    flat: bool,
    plain: bool,
) -> Iterator[tuple[SyntheticEntry, int, bytes | None]]:
    """(entry, inode, wrapped file key) per entry; a regular file's payload is written as its entry goes by,
    as `<id>` at the root when `flat`, else as `<id[:2]>/<id>`; decrypted when `plain`, though its key is
    drawn and wrapped all the same."""
    # Plain strings, not Paths: pathlib costs more per payload than writing a small one does.
    root = os.fspath(folder)
    payload_folders: set[str] = set()
    for inode, entry in enumerate(entries, start=_FIRST_INODE):
        if not isinstance(entry, SyntheticFile):
            yield entry, inode, None
            continue
        file_id = entry.file_id
        payload_folder = root if flat else os.path.join(root, file_id[:2])
        if payload_folder not in payload_folders:
            os.makedirs(payload_folder, exist_ok=True)
            payload_folders.add(payload_folder)
        file_key = None if keys is None else random.randbytes(_FILE_KEY_SIZE)
        write_payload(os.path.join(payload_folder, file_id), entry, None if plain else file_key)
        wrapped_key = None
        if keys is not None and file_key is not None:
            wrapped_key = keys.wrapped_file_key(entry.protection_class, file_key)
        yield entry, inode, wrapped_key


def _manifest_row(entry: SyntheticEntry, inode: int, wrapped_key: bytes | None) -> ManifestRow:
    if isinstance(entry, SyntheticFile):
        return _file_row(entry, entry.file_id, inode, wrapped_key)
    if isinstance(entry, SyntheticDirectory):
        return _directory_row(entry, inode)
    return _symlink_row(entry, inode)


def _mbdb_record(entry: SyntheticEntry, inode: int, wrapped_key: bytes | None) -> MbdbRecord:
    if isinstance(entry, SyntheticFile):
        digest = hashlib.sha1(usedforsecurity=False)
        for chunk in entry.chunks():
            digest.update(chunk)
        return MbdbRecord(
            entry.domain, entry.relative_path, entry.mode, inode, entry.modified_at, entry.size,
            entry.protection_class, data_hash=digest.digest(), encryption_key=wrapped_key,
        )  # fmt: skip
    if isinstance(entry, SyntheticDirectory):
        return MbdbRecord(
            entry.domain, entry.relative_path, entry.mode, inode, entry.modified_at, 0, entry.protection_class
        )
    return MbdbRecord(
        entry.domain,
        entry.relative_path,
        entry.mode,
        inode,
        entry.modified_at,
        0,
        0,
        link_target=entry.target,
    )


def _file_row(entry: SyntheticFile, file_id: str, inode: int, wrapped_key: bytes | None) -> ManifestRow:
    record = encode_mbfile(
        relative_path=entry.relative_path,
        mode=entry.mode,
        size=entry.size,
        protection_class=entry.protection_class,
        inode=inode,
        modified_at=entry.modified_at,
        encryption_key=wrapped_key,
    )
    return ManifestRow(file_id, entry.domain, entry.relative_path, FLAG_FILE, record)


def _directory_row(entry: SyntheticDirectory, inode: int) -> ManifestRow:
    record = encode_mbfile(
        relative_path=entry.relative_path,
        mode=entry.mode,
        size=0,
        protection_class=entry.protection_class,
        inode=inode,
        modified_at=entry.modified_at,
    )
    return ManifestRow(entry.file_id, entry.domain, entry.relative_path, FLAG_DIRECTORY, record)


def _symlink_row(entry: SyntheticSymlink, inode: int) -> ManifestRow:
    record = encode_mbfile(
        relative_path=entry.relative_path,
        mode=entry.mode,
        size=0,
        protection_class=0,
        inode=inode,
        modified_at=entry.modified_at,
        target=entry.target,
    )
    return ManifestRow(entry.file_id, entry.domain, entry.relative_path, FLAG_SYMLINK, record)
