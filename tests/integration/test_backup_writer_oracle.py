"""The synthetic backup writer, checked against the unmodified iphone_backup_decrypt 0.11.2 as the oracle."""

import hashlib
import plistlib
import sqlite3
import struct
import unicodedata
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap
from iphone_backup_decrypt import BackupNotEncryptedError, EncryptedBackup, IncorrectPassphraseError
from iphone_backup_decrypt.utils import BackupKeyBag, FilePlist

from ios_backup_api.adapters.backup_writer.file_ids import file_id
from ios_backup_api.adapters.backup_writer.keys import derive_key_encryption_key
from ios_backup_api.adapters.backup_writer.samples import DEMO_PASSPHRASE, demo_backups, rich_backup
from ios_backup_api.adapters.backup_writer.spec import (
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticFile,
    SyntheticSymlink,
)
from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import tree_digests
from tests.support.layouts import as_decrypted_copy, decrypted_copy, in_progress, without
from tests.support.vault_cases import decode_tlv, payload_of

PASSPHRASE = "pässwörd-ñ-日本"
DPIC = 1000
ITER = 10
FLAGS = {SyntheticFile: 1, SyntheticDirectory: 2, SyntheticSymlink: 4}
SQLITE_SCHEMA = {
    "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)",
    "CREATE INDEX FilesDomainIdx ON Files(domain)",
    "CREATE INDEX FilesRelativePathIdx ON Files(relativePath)",
    "CREATE INDEX FilesFlagsIdx ON Files(flags)",
    "CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)",
}


@pytest.fixture(scope="module")
def encrypted_spec() -> SyntheticBackup:
    return rich_backup(PASSPHRASE, dpic_iterations=DPIC, iter_iterations=ITER)


@pytest.fixture(scope="module")
def encrypted_folder(tmp_path_factory: pytest.TempPathFactory, encrypted_spec: SyntheticBackup) -> Path:
    folder = tmp_path_factory.mktemp("encrypted") / encrypted_spec.udid
    write_backup(folder, encrypted_spec)  # no seed: keys from the system's generator, as the demo writes them
    return folder


@pytest.fixture(scope="module")
def oracle(encrypted_folder: Path) -> EncryptedBackup:
    # Deletes its decrypted copy of Manifest.db when garbage-collected.
    return EncryptedBackup(backup_directory=str(encrypted_folder), passphrase=PASSPHRASE)


@pytest.fixture(scope="module")
def plain_spec() -> SyntheticBackup:
    return rich_backup(None, dpic_iterations=DPIC, iter_iterations=ITER)


@pytest.fixture(scope="module")
def plain_folder(tmp_path_factory: pytest.TempPathFactory, plain_spec: SyntheticBackup) -> Path:
    folder = tmp_path_factory.mktemp("plain") / plain_spec.udid
    write_backup(folder, plain_spec, seed=7)
    return folder


def expected_rows(spec: SyntheticBackup) -> set[tuple[str, str, str, int]]:
    return {
        (file_id(entry.domain, entry.relative_path), entry.domain, entry.relative_path, FLAGS[type(entry)])
        for entry in spec.all_entries()
    }


def regular_files(spec: SyntheticBackup) -> list[SyntheticFile]:
    return [entry for entry in spec.entries if isinstance(entry, SyntheticFile)]


def manifest_plist(folder: Path) -> dict[str, object]:
    with (folder / "Manifest.plist").open("rb") as source:
        loaded: dict[str, object] = plistlib.load(source)
    return loaded


def encryption_key_record(file_blob: bytes) -> bytes | None:
    archive = plistlib.loads(file_blob)
    mbfile = archive["$objects"][archive["$top"]["root"].data]
    if "EncryptionKey" not in mbfile:
        return None
    record: bytes = archive["$objects"][mbfile["EncryptionKey"].data]["NS.data"]
    return record


def all_files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


# --- Encrypted backups, as the oracle reads them ---------------------------------------------------------


def test_the_oracle_unlocks_the_backup_with_its_non_ascii_passphrase(oracle: EncryptedBackup) -> None:
    assert oracle.test_decryption() is True


@pytest.mark.parametrize(
    "passphrase",
    ["pässwörd-ñ-日", unicodedata.normalize("NFD", PASSPHRASE), "hashcat"],
    ids=["truncated", "same text in NFD", "another"],
)
def test_a_wrong_passphrase_is_rejected(encrypted_folder: Path, passphrase: str) -> None:
    backup = EncryptedBackup(backup_directory=str(encrypted_folder), passphrase=passphrase)

    with pytest.raises(IncorrectPassphraseError):
        backup.test_decryption()


def test_the_oracle_derives_the_same_key_encryption_key(oracle: EncryptedBackup) -> None:
    oracle.test_decryption()
    attributes = oracle.keybag.attrs

    ours = derive_key_encryption_key(
        PASSPHRASE,
        dpsl=attributes[b"DPSL"],
        dpic_iterations=attributes[b"DPIC"],
        salt=attributes[b"SALT"],
        iter_iterations=attributes[b"ITER"],
    )

    assert oracle.keybag.passphrase_key == ours


def test_the_manifest_lists_every_entry_and_a_root_per_domain(
    oracle: EncryptedBackup, encrypted_spec: SyntheticBackup
) -> None:
    with oracle.manifest_db_cursor() as cursor:
        cursor.execute("SELECT fileID, domain, relativePath, flags FROM Files")
        rows = set(cursor.fetchall())

    assert rows == expected_rows(encrypted_spec)
    assert {(domain, "", 2) for domain in encrypted_spec.domains} <= {(d, path, f) for _, d, path, f in rows}


def test_every_regular_file_is_extracted_byte_for_byte(
    oracle: EncryptedBackup, encrypted_spec: SyntheticBackup, tmp_path: Path
) -> None:
    extracted = oracle.extract_files(
        relative_paths_like="%",
        domain_like="%",
        output_folder=str(tmp_path),
        domain_subfolders=True,
        preserve_folders=True,
    )

    files = regular_files(encrypted_spec)
    assert extracted == len(files)
    # 0-byte files are included: extract_files streams an empty payload to an empty file. Only the oracle's
    # extract_file_as_bytes fails on one (IndexError), which is why it is not used here.
    assert any(file.size == 0 for file in files)
    assert all_files(tmp_path) == {f"{file.domain}/{file.relative_path}": file.read_bytes() for file in files}


def test_file_records_carry_size_class_mode_time_and_a_key_of_their_class(
    oracle: EncryptedBackup, encrypted_spec: SyntheticBackup
) -> None:
    with oracle.manifest_db_cursor() as cursor:
        cursor.execute("SELECT domain, relativePath, file FROM Files WHERE flags = 1")
        records = {(domain, path): blob for domain, path, blob in cursor.fetchall()}

    for file in regular_files(encrypted_spec):
        blob = records[(file.domain, file.relative_path)]
        record = FilePlist(blob)
        key_record = encryption_key_record(blob)
        assert (record.filesize, record.protection_class, record.mode, record.mtime) == (
            file.size,
            file.protection_class,
            f"{file.mode:06o}",
            file.modified_at,
        )
        assert key_record is not None
        assert len(key_record) == 44
        assert struct.unpack("<L", key_record[:4])[0] == file.protection_class


def test_directories_and_symlinks_keep_their_metadata_and_have_no_payload(
    oracle: EncryptedBackup, encrypted_spec: SyntheticBackup, encrypted_folder: Path
) -> None:
    folders = {(domain, path): record for _, domain, path, record in oracle.get_folders(domain_like="%")}
    links = {(domain, path): record for _, domain, path, record in oracle.get_symlinks(domain_like="%")}

    for entry in encrypted_spec.all_entries():
        if isinstance(entry, SyntheticDirectory):
            record = folders[(entry.domain, entry.relative_path)]
            assert (record.protection_class, record.mode, record.encryption_key) == (
                entry.protection_class,
                "040755",
                None,
            )
        elif isinstance(entry, SyntheticSymlink):
            record = links[(entry.domain, entry.relative_path)]
            assert (record.target, record.protection_class, record.filesize, record.mode) == (
                entry.target,
                0,
                0,
                "120755",
            )
            assert record.encryption_key is None
        else:
            continue
        assert not payload_of(encrypted_folder, entry.file_id).exists()


def test_manifest_db_is_a_page_aligned_database_encrypted_with_one_padding_block(
    oracle: EncryptedBackup, encrypted_folder: Path, tmp_path: Path
) -> None:
    plaintext = tmp_path / "Manifest.db"
    oracle.save_manifest_file(str(plaintext))

    with closing(sqlite3.connect(plaintext)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        schema = {sql for (sql,) in connection.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")}
    assert schema == SQLITE_SCHEMA
    assert plaintext.stat().st_size % page_size == 0
    assert (encrypted_folder / "Manifest.db").stat().st_size == plaintext.stat().st_size + 16


def test_encrypted_payloads_are_padded_except_when_empty(
    encrypted_spec: SyntheticBackup, encrypted_folder: Path
) -> None:
    for file in regular_files(encrypted_spec):
        padded = 0 if file.size == 0 else (file.size // 16 + 1) * 16
        assert payload_of(encrypted_folder, file.file_id).stat().st_size == padded, file.relative_path


def test_the_keybag_has_the_layout_of_a_real_one(encrypted_folder: Path) -> None:
    manifest = manifest_plist(encrypted_folder)
    keybag_bytes = manifest["BackupKeyBag"]
    assert isinstance(keybag_bytes, bytes)
    keybag = BackupKeyBag(keybag_bytes)
    tags = [tag for tag, _ in decode_tlv(keybag_bytes)]
    manifest_key = manifest["ManifestKey"]

    header = [b"VERS", b"TYPE", b"UUID", b"HMCK", b"WRAP", b"SALT", b"ITER", b"DPWT", b"DPIC", b"DPSL"]
    assert tags == header + [b"UUID", b"CLAS", b"WRAP", b"KTYP", b"WPKY"] * 11
    assert (keybag.type, keybag.wrap, keybag.attrs[b"VERS"], keybag.attrs[b"DPWT"]) == (1, 0, 5, 1)
    assert (keybag.attrs[b"DPIC"], keybag.attrs[b"ITER"]) == (DPIC, ITER)
    assert (
        len(keybag.uuid),
        len(keybag.attrs[b"HMCK"]),
        len(keybag.attrs[b"SALT"]),
        len(keybag.attrs[b"DPSL"]),
    ) == (
        16,
        40,
        20,
        20,
    )
    assert {
        c: (data[b"WRAP"], data[b"KTYP"], len(data[b"WPKY"])) for c, data in keybag.classes_data.items()
    } == {c: (3 if c in {5, 9, 10, 11} else 2, 0, 40) for c in range(1, 12)}
    assert isinstance(manifest_key, bytes)
    assert len(manifest_key) == 44
    assert struct.unpack("<L", manifest_key[:4])[0] == 4


def test_the_plists_describe_the_device(encrypted_folder: Path, encrypted_spec: SyntheticBackup) -> None:
    info = plistlib.loads((encrypted_folder / "Info.plist").read_bytes())
    manifest = manifest_plist(encrypted_folder)
    status = plistlib.loads((encrypted_folder / "Status.plist").read_bytes())
    last_backup = encrypted_spec.last_backup_at.replace(tzinfo=None)

    assert (encrypted_folder / "Info.plist").read_bytes().startswith(b"<?xml")
    assert {
        key: info[key] for key in ("Device Name", "Product Type", "Unique Identifier", "Target Identifier")
    } == {
        "Device Name": encrypted_spec.device_name,
        "Product Type": encrypted_spec.product_type,
        "Unique Identifier": encrypted_spec.udid.upper(),
        "Target Identifier": encrypted_spec.udid.lower(),
    }
    assert (info["Last Backup Date"], info["Target Type"]) == (last_backup, "Device")
    assert info["Installed Applications"] == ["com.example.notes"]
    assert manifest["Lockdown"] == {
        "BuildVersion": encrypted_spec.build_version,
        "DeviceName": encrypted_spec.device_name,
        "ProductType": encrypted_spec.product_type,
        "ProductVersion": encrypted_spec.product_version,
        "SerialNumber": encrypted_spec.serial_number,
        "UniqueDeviceID": encrypted_spec.udid,
    }
    assert (manifest["IsEncrypted"], manifest["Version"], manifest["Date"]) == (True, "10.0", last_backup)
    assert (status["BackupState"], status["SnapshotState"], status["Version"]) == ("new", "finished", "3.3")


# --- Unencrypted backups --------------------------------------------------------------------------------


def test_an_unencrypted_backup_has_a_plain_manifest_with_every_row(
    plain_folder: Path, plain_spec: SyntheticBackup
) -> None:
    with closing(sqlite3.connect(plain_folder / "Manifest.db")) as connection:
        rows = connection.execute("SELECT fileID, domain, relativePath, flags, file FROM Files").fetchall()

    assert {row[:4] for row in rows} == expected_rows(plain_spec)
    assert all(encryption_key_record(row[4]) is None for row in rows)
    assert "ManifestKey" not in manifest_plist(plain_folder)


def test_an_unencrypted_backup_stores_payloads_as_they_are(
    plain_folder: Path, plain_spec: SyntheticBackup
) -> None:
    for file in regular_files(plain_spec):
        assert payload_of(plain_folder, file.file_id).read_bytes() == file.read_bytes(), file.relative_path


def test_the_oracle_refuses_an_unencrypted_backup(plain_folder: Path) -> None:
    backup = EncryptedBackup(backup_directory=str(plain_folder), passphrase=PASSPHRASE)

    with pytest.raises(BackupNotEncryptedError):
        backup.test_decryption()


# --- The key derivation, pinned by hashcat's known-answer vector (mode 14800) ---------------------------

HASHCAT_VECTOR = (
    "$itunes_backup$*10*17a3b858e79bc273be43a9f113b71efe7ec8e7e401396b350180b4592ef45db67ffef7b2d64329a5"
    "*10000*2721336781705041205314422175267631184867*1000*99fafc983e732998adb9fadc162a2e382143f115"
)


def hashcat_kek(passphrase: str) -> tuple[bytes, bytes]:
    _, _, wpky, iterations, salt, dpic, dpsl = HASHCAT_VECTOR.split("*")
    kek = derive_key_encryption_key(
        passphrase,
        dpsl=bytes.fromhex(dpsl),
        dpic_iterations=int(dpic),
        salt=bytes.fromhex(salt),
        iter_iterations=int(iterations),
    )
    return kek, bytes.fromhex(wpky)


def test_the_key_derivation_unwraps_the_hashcat_vector() -> None:
    kek, wpky = hashcat_kek("hashcat")

    assert len(aes_key_unwrap(kek, wpky)) == 32


def test_the_key_derivation_with_another_passphrase_does_not_unwrap_the_hashcat_vector() -> None:
    kek, wpky = hashcat_kek("hashcaT")

    with pytest.raises(InvalidUnwrap):
        aes_key_unwrap(kek, wpky)


# --- Naming and reproducibility ---------------------------------------------------------------------------


def test_file_ids_are_the_sha1_of_domain_dash_relative_path(plain_folder: Path) -> None:
    with closing(sqlite3.connect(plain_folder / "Manifest.db")) as connection:
        rows = connection.execute("SELECT fileID, domain, relativePath FROM Files").fetchall()

    assert file_id("HomeDomain", "Library/SMS/sms.db").startswith("3d0d7e5f")
    assert all(
        row_id == hashlib.sha1(f"{domain}-{path}".encode(), usedforsecurity=False).hexdigest()
        for row_id, domain, path in rows
    )


def test_the_same_seed_writes_identical_bytes(tmp_path: Path, encrypted_spec: SyntheticBackup) -> None:
    write_backup(tmp_path / "first", encrypted_spec, seed=42)
    write_backup(tmp_path / "second", encrypted_spec, seed=42)
    write_backup(tmp_path / "unseeded", encrypted_spec)

    first = all_files(tmp_path / "first")
    assert first == all_files(tmp_path / "second")
    assert first["Manifest.plist"] != (tmp_path / "unseeded" / "Manifest.plist").read_bytes()


def test_writing_into_a_folder_that_is_not_empty_is_refused(
    tmp_path: Path, plain_spec: SyntheticBackup
) -> None:
    (tmp_path / "Manifest.db").write_bytes(b"")

    with pytest.raises(FileExistsError):
        write_backup(tmp_path, plain_spec)


def test_two_entries_with_one_domain_and_path_are_refused(
    tmp_path: Path, plain_spec: SyntheticBackup
) -> None:
    duplicate = SyntheticFile("HomeDomain", "Library/SMS/sms.db", b"again")
    spec = replace(plain_spec, entries=(*plain_spec.entries, duplicate))

    with pytest.raises(ValueError, match="share"):
        write_backup(tmp_path / "backup", spec)


def test_the_demo_backups_are_one_encrypted_and_one_plain(tmp_path: Path) -> None:
    demos = demo_backups(dpic_iterations=DPIC)
    for folder_name, spec in demos:
        write_backup(tmp_path / folder_name, spec)
    (encrypted_name, _), (plain_name, _) = demos

    assert [spec.is_encrypted for _, spec in demos] == [True, False]
    assert EncryptedBackup(
        backup_directory=str(tmp_path / encrypted_name), passphrase=DEMO_PASSPHRASE
    ).test_decryption()
    with pytest.raises(BackupNotEncryptedError):
        EncryptedBackup(
            backup_directory=str(tmp_path / plain_name), passphrase=DEMO_PASSPHRASE
        ).test_decryption()


def test_the_writers_decrypted_copy_is_what_iphone_backup_decrypt_makes_of_the_encrypted_backup(
    tmp_path: Path, encrypted_spec: SyntheticBackup
) -> None:
    passphrase = encrypted_spec.passphrase
    assert passphrase is not None
    write_backup(tmp_path / "encrypted", encrypted_spec, seed=5)
    decrypted_copy(tmp_path / "encrypted", tmp_path / "by-the-oracle", passphrase)
    write_backup(tmp_path / "by-the-writer", as_decrypted_copy(encrypted_spec), seed=5)
    assert tree_digests(tmp_path / "by-the-writer") == tree_digests(tmp_path / "by-the-oracle")


def test_the_writer_leaves_out_plists_and_writes_a_backup_in_progress(
    tmp_path: Path, plain_spec: SyntheticBackup
) -> None:
    write_backup(tmp_path / "b", in_progress(without(plain_spec, "Info.plist", "Status.plist")), seed=7)
    assert not (tmp_path / "b" / "Info.plist").exists()
    assert not (tmp_path / "b" / "Status.plist").exists()
    assert (tmp_path / "b" / "Snapshot" / "Manifest.db").is_file()
    write_backup(tmp_path / "c", in_progress(plain_spec), seed=7)
    assert plistlib.loads((tmp_path / "c" / "Status.plist").read_bytes())["SnapshotState"] == "uploading"
