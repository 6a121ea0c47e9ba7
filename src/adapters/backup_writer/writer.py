"""Writes a whole backup folder from a SyntheticBackup."""

import os
from collections.abc import Iterator
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
from ios_backup_api.adapters.backup_writer.mbfile import encode_mbfile
from ios_backup_api.adapters.backup_writer.payloads import write_payload
from ios_backup_api.adapters.backup_writer.plists import info_plist, manifest_plist, status_plist
from ios_backup_api.adapters.backup_writer.randomness import RandomSource, random_source, random_uuid
from ios_backup_api.adapters.backup_writer.spec import (
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
    Status.plist, Manifest.db and one payload per regular file.

    With a `seed`, every salt, key and UUID comes from a generator seeded with it, so the same spec and
    seed give the same bytes; without one they come from the system's secure generator.
    Raises FileExistsError when `folder` is not empty, ValueError when two entries share a file ID.
    """
    entries = backup.all_entries()
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty")
    random = random_source(seed)
    keys = create_backup_keys(
        backup.passphrase,
        dpic_iterations=backup.dpic_iterations,
        iter_iterations=backup.iter_iterations,
        random=random,
    )
    guid, snapshot = random_uuid(random), random_uuid(random)
    _write_manifest_db(
        folder, entries, keys if backup.is_encrypted else None, random, encrypt=not backup.plain_manifest
    )
    (folder / "Info.plist").write_bytes(info_plist(backup, guid))
    (folder / "Manifest.plist").write_bytes(manifest_plist(backup, keys))
    (folder / "Status.plist").write_bytes(status_plist(backup, snapshot))


def _write_manifest_db(
    folder: Path,
    entries: tuple[SyntheticEntry, ...],
    keys: BackupKeys | None,
    random: RandomSource,
    *,
    encrypt: bool,
) -> None:
    plaintext = folder / _PLAINTEXT_MANIFEST
    try:
        write_manifest_db(plaintext, _rows_writing_payloads(folder, entries, keys, random))
        if keys is None or not encrypt:
            plaintext.replace(folder / "Manifest.db")
            return
        with plaintext.open("rb") as source, (folder / "Manifest.db").open("wb") as out:
            for chunk in encrypt_chunks(keys.manifest_key, iter(lambda: source.read(CHUNK_SIZE), b"")):
                out.write(chunk)
    finally:
        plaintext.unlink(missing_ok=True)


def _rows_writing_payloads(
    folder: Path, entries: tuple[SyntheticEntry, ...], keys: BackupKeys | None, random: RandomSource
) -> Iterator[ManifestRow]:
    """One Files row per entry; a regular file's payload is written as its row goes by."""
    # Plain strings, not Paths: pathlib costs more per payload than writing a small one does.
    root = os.fspath(folder)
    payload_folders: set[str] = set()
    for inode, entry in enumerate(entries, start=_FIRST_INODE):
        if isinstance(entry, SyntheticFile):
            file_id = entry.file_id
            payload_folder = os.path.join(root, file_id[:2])
            if payload_folder not in payload_folders:
                os.makedirs(payload_folder, exist_ok=True)
                payload_folders.add(payload_folder)
            file_key = None if keys is None else random.randbytes(_FILE_KEY_SIZE)
            write_payload(os.path.join(payload_folder, file_id), entry, file_key)
            yield _file_row(entry, file_id, inode, keys, file_key)
        elif isinstance(entry, SyntheticDirectory):
            yield _directory_row(entry, inode)
        else:
            yield _symlink_row(entry, inode)


def _file_row(
    entry: SyntheticFile, file_id: str, inode: int, keys: BackupKeys | None, file_key: bytes | None
) -> ManifestRow:
    wrapped_key = None
    if keys is not None and file_key is not None:
        wrapped_key = keys.wrapped_file_key(entry.protection_class, file_key)
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
