"""The writer's Manifest.mbdb layout (iOS 4 to 9), checked against the unmodified pyiosbackup 0.2.4 as the
oracle: its own mbdb parser (construct), keybag reader (PBKDF2-SHA1 alone below iOS 10.2) and decryption."""

import hashlib
import plistlib
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap
from pyiosbackup import Backup
from pyiosbackup.manifest_dbs.mbdb import mbdb_struct

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import MBDB_ENCRYPTED_ID, MBDB_PLAIN_ID, mbdb_specs, regular_files
from tests.support.vault_cases import decode_tlv

SPECS = mbdb_specs()


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("mbdb-oracle")
    for name, spec in SPECS.items():
        write_backup(root / name, spec)  # no seed: keys from the system's generator
    return {name: root / name for name in SPECS}


@pytest.fixture(params=list(SPECS))
def backup(request: pytest.FixtureRequest, folders: dict[str, Path]) -> tuple[Path, SyntheticBackup]:
    return folders[request.param], SPECS[request.param]


def _opened(folder: Path, spec: SyntheticBackup) -> Backup:
    return Backup.from_path(folder, spec.passphrase or "")


def test_the_oracle_lists_every_entry_with_its_mode_size_and_time(
    backup: tuple[Path, SyntheticBackup],
) -> None:
    folder, spec = backup
    listed = {entry.file_id: entry for entry in _opened(folder, spec).iter_entries()}
    assert len(listed) == len(spec.all_entries())
    for expected in spec.all_entries():
        entry = listed[expected.file_id]
        size = expected.size if isinstance(expected, SyntheticFile) else 0
        moment = datetime.fromtimestamp(expected.modified_at, UTC)
        assert (entry.domain, entry.relative_path) == (expected.domain, expected.relative_path)
        assert (entry.mode, entry.size, entry.last_modified) == (expected.mode, size, moment)
        assert (entry.last_status_change - moment, entry.created - moment) == (  # its atime and ctime
            timedelta(seconds=60),
            timedelta(seconds=120),
        )


def test_the_oracle_reads_every_regular_file_byte_for_byte(backup: tuple[Path, SyntheticBackup]) -> None:
    folder, spec = backup
    opened = _opened(folder, spec)
    for file in regular_files(spec):
        payload = folder / file.file_id
        assert payload.is_file(), "payloads lie flat in the folder, named by their id"
        if spec.is_encrypted and file.size == 0:
            # An empty file is an empty payload; pyiosbackup wants a padding block even then.
            assert payload.stat().st_size == 0
            with pytest.raises(ValueError, match="padding"):
                opened.get_entry_by_id(file.file_id).read_bytes()
            continue
        assert opened.get_entry_by_id(file.file_id).read_bytes() == file.read_bytes(), file.relative_path


def test_the_oracle_refuses_a_wrong_passphrase(folders: dict[str, Path]) -> None:
    spec = SPECS[MBDB_ENCRYPTED_ID]
    assert spec.passphrase is not None
    for wrong in ("wrong", spec.passphrase.upper(), spec.passphrase[:-1]):
        with pytest.raises(InvalidUnwrap):
            Backup.from_path(folders[MBDB_ENCRYPTED_ID], wrong)


def test_the_records_carry_links_classes_hashes_and_keys_as_the_format_says(
    backup: tuple[Path, SyntheticBackup],
) -> None:
    folder, spec = backup
    records = mbdb_struct.parse((folder / "Manifest.mbdb").read_bytes()).records
    by_path = {(record.domain, record.filename): record for record in records}
    assert len(by_path) == len(records) == len(spec.all_entries())
    for entry in spec.all_entries():
        record = by_path[entry.domain, entry.relative_path]
        kind = stat.S_IFMT(record.mode)
        if isinstance(entry, SyntheticFile):
            assert kind == stat.S_IFREG
            assert record.flags == entry.protection_class
            assert record.data_hash == hashlib.sha1(entry.read_bytes()).digest()
            if spec.is_encrypted:
                assert len(record.encryption_key) == 44
                assert int.from_bytes(record.encryption_key[:4], "little") == entry.protection_class
            else:
                assert (record.key_length, record.encryption_key) == (0xFFFF, b"")
        elif kind == stat.S_IFLNK:
            assert record.linktarget == getattr(entry, "target", None)
            assert (record.flags, record.size, record.key_length) == (0, 0, 0xFFFF)
        else:
            assert kind == stat.S_IFDIR
            assert (record.size, record.key_length, record.link_len) == (0, 0xFFFF, 0xFFFF)


def test_there_is_no_manifest_db_nor_payload_folder(backup: tuple[Path, SyntheticBackup]) -> None:
    folder, spec = backup
    assert not (folder / "Manifest.db").exists()
    assert [path.name for path in folder.iterdir() if path.is_dir()] == []
    names = {path.name for path in folder.iterdir()}
    assert names == {"Info.plist", "Manifest.plist", "Status.plist", "Manifest.mbdb"} | {
        file.file_id for file in regular_files(spec)
    }


def test_the_keybag_is_an_old_one_and_the_manifest_plist_has_no_manifest_key(
    folders: dict[str, Path],
) -> None:
    encrypted = plistlib.loads((folders[MBDB_ENCRYPTED_ID] / "Manifest.plist").read_bytes())
    plain = plistlib.loads((folders[MBDB_PLAIN_ID] / "Manifest.plist").read_bytes())
    assert (encrypted["IsEncrypted"], plain["IsEncrypted"]) == (True, False)
    assert "ManifestKey" not in encrypted
    assert "ManifestKey" not in plain
    assert encrypted["Lockdown"]["ProductVersion"] == "9.3.5"
    tags = [tag for tag, _ in decode_tlv(encrypted["BackupKeyBag"])]
    assert tags[:7] == [b"VERS", b"TYPE", b"UUID", b"HMCK", b"WRAP", b"SALT", b"ITER"]
    assert not {b"DPWT", b"DPIC", b"DPSL"} & set(tags)
    assert dict(decode_tlv(encrypted["BackupKeyBag"]))[b"VERS"] == (3).to_bytes(4, "big")
