"""The real vault on the Manifest.mbdb layout (iOS 4 to 9): how the layout is told, what a damaged manifest
or keybag gives, and a folder left as it was. The contract suite covers the rest."""

import plistlib
import shutil
import struct
from pathlib import Path

import pytest

from ios_backup_api.adapters.backup_folder.layout import ManifestFormat, read_layout
from ios_backup_api.adapters.backup_writer.mbdb import MbdbRecord, encode_record
from ios_backup_api.adapters.backup_writer.spec import Layout, SyntheticBackup
from ios_backup_api.domain.errors import CorruptBackupError, EntryNotFoundError, WrongPassphraseError
from ios_backup_api.domain.manifest import ByteRange, EntryKind, FileId, FileQuery
from tests.support.backups import PASSPHRASE
from tests.support.vault_cases import (
    LOADERS,
    SMALL_ID,
    CountingLoader,
    decode_tlv,
    expected_listing,
    folder_snapshot,
    folder_vault,
    write_small,
)

MBDB = Layout.MANIFEST_MBDB
HEADER = b"mbdb\x05\x00"


@pytest.fixture(params=[True, False], ids=["encrypted", "unencrypted"])
def small(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, SyntheticBackup]:
    return write_small(tmp_path / "backups", encrypted=request.param, layout=MBDB)


def test_the_layout_is_mbdb_without_a_manifest_db_and_needs_no_manifest_key(
    small: tuple[Path, SyntheticBackup],
) -> None:
    folder, spec = small
    layout = read_layout(folder)
    assert (layout.manifest_format, layout.manifest_db) == (ManifestFormat.MBDB, folder / "Manifest.mbdb")
    assert (layout.protection.is_encrypted, layout.protection.manifest_key) == (spec.is_encrypted, None)


def test_a_manifest_db_beside_a_manifest_mbdb_wins(tmp_path: Path) -> None:
    """A backup updated past iOS 10 may keep its old Manifest.mbdb: the Manifest.db is the current one."""
    folder, _ = write_small(tmp_path / "new", encrypted=True)
    old, _ = write_small(tmp_path / "old", encrypted=True, layout=MBDB)
    shutil.copy(old / "Manifest.mbdb", folder / "Manifest.mbdb")
    layout = read_layout(folder)
    assert (layout.manifest_format, layout.manifest_db.name) == (ManifestFormat.SQLITE, "Manifest.db")
    assert layout.protection.manifest_key is not None


async def test_the_backup_folder_is_left_untouched(small: tuple[Path, SyntheticBackup]) -> None:
    folder, spec = small
    before = folder_snapshot(folder)
    for loader in LOADERS.values():
        handle = await folder_vault(folder.parent, loader()).open(SMALL_ID, spec.passphrase)
        await handle.files(FileQuery(path_like="%", limit=1000))
        await handle.domains()
        for entry in (await handle.files(FileQuery(kind=EntryKind.FILE))).items:
            content = await handle.content(FileId(entry.file_id))
            [chunk async for chunk in content.read(ByteRange(0, content.length))]
        await handle.close()
    assert folder_snapshot(folder) == before


DAMAGE = {
    "empty": lambda data: b"",
    "another header": lambda data: b"mbdb\x04\x00" + data[6:],
    "header only cut": lambda data: data[:4],
    "a record cut short": lambda data: data[:-3],
    "a string longer than the file": lambda data: data + b"\x00\x10Home",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
async def test_a_damaged_manifest_mbdb_is_corrupt(tmp_path: Path, damage: str) -> None:
    folder, spec = write_small(tmp_path, encrypted=False, layout=MBDB)
    path = folder / "Manifest.mbdb"
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with pytest.raises(CorruptBackupError, match=r"Manifest\.mbdb"):
        await folder_vault(tmp_path, CountingLoader(None)).open(SMALL_ID, spec.passphrase)


async def test_records_that_are_not_utf8_of_no_kind_or_absurd_are_listed_with_what_can_be_read(
    tmp_path: Path,
) -> None:
    folder, spec = write_small(tmp_path, encrypted=False, layout=MBDB)
    odd = [
        MbdbRecord("HomeDomain", "Library/fifo", 0o010644, 1, 1_700_000_000, 0, 3),  # a FIFO: no kind
        MbdbRecord("HomeDomain", "Library/huge.bin", 0o100600, 2, 1_700_000_000, 2**64 - 1, 4),
        MbdbRecord("HomeDomain", "Library/props.txt", 0o100644, 3, 0, 5, 1, properties=(("a", "b"),) * 3),
    ]
    not_utf8 = encode_record(MbdbRecord("HomeDomain", "Library/x", 0o100644, 4, 0, 1, 1)).replace(
        b"Library/x", b"Library/\xff"
    )
    with (folder / "Manifest.mbdb").open("ab") as manifest:
        manifest.write(b"".join(encode_record(record) for record in odd) + not_utf8)
    handle = await folder_vault(tmp_path, CountingLoader(None)).open(SMALL_ID, None)
    page = await handle.files(FileQuery(domain="HomeDomain", limit=1000))
    by_path = {entry.relative_path: entry for entry in page.items}
    home = [entry for entry in expected_listing(spec) if entry.domain == "HomeDomain"]
    assert page.total == len(home) + 4
    fifo = by_path["Library/fifo"]
    assert (fifo.kind, fifo.mode, fifo.protection_class) == (None, 0o010644, 3)
    for kind in EntryKind:
        of_kind = await handle.files(FileQuery(domain="HomeDomain", kind=kind, limit=1000))
        assert fifo not in of_kind.items, kind
    with pytest.raises(EntryNotFoundError):
        await handle.content(FileId(fifo.file_id))
    assert (by_path["Library/huge.bin"].size, by_path["Library/huge.bin"].mode) == (None, 0o100600)
    assert (by_path["Library/props.txt"].size, by_path["Library/props.txt"].protection_class) == (5, 1)
    assert by_path["Library/\ufffd"].kind is EntryKind.FILE


def _keybag_without(folder: Path, *tags: bytes) -> None:
    path = folder / "Manifest.plist"
    manifest = plistlib.loads(path.read_bytes())
    items = [(tag, value) for tag, value in decode_tlv(manifest["BackupKeyBag"]) if tag not in tags]
    manifest["BackupKeyBag"] = b"".join(tag + struct.pack(">L", len(value)) + value for tag, value in items)
    path.write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))


async def test_a_new_keybag_stripped_of_dpsl_and_dpic_no_longer_opens_with_the_passphrase(
    tmp_path: Path,
) -> None:
    """Without them, the key is derived by the SHA-1 round alone, over the passphrase: another key."""
    folder, spec = write_small(tmp_path, encrypted=True)
    _keybag_without(folder, b"DPSL", b"DPIC", b"DPWT")
    with pytest.raises(WrongPassphraseError):
        await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)


@pytest.mark.parametrize(
    ("layout", "tags", "message"),
    [
        (Layout.MANIFEST_DB, (b"DPIC",), "key-derivation parameters"),
        (Layout.MANIFEST_DB, (b"DPSL",), "key-derivation parameters"),
        (MBDB, (b"SALT",), "key-derivation parameters"),
        (MBDB, (b"ITER",), "key-derivation parameters"),
    ],
)
async def test_a_keybag_missing_part_of_its_derivation_is_corrupt(
    tmp_path: Path, layout: Layout, tags: tuple[bytes, ...], message: str
) -> None:
    folder, _ = write_small(tmp_path, encrypted=True, layout=layout)
    _keybag_without(folder, *tags)
    with pytest.raises(CorruptBackupError, match=message):
        await folder_vault(tmp_path).open(SMALL_ID, PASSPHRASE)


@pytest.mark.parametrize("iterations", [0, 10**7])
async def test_an_old_keybag_with_absurd_iterations_is_corrupt(tmp_path: Path, iterations: int) -> None:
    folder, _ = write_small(tmp_path, encrypted=True, layout=MBDB)
    path = folder / "Manifest.plist"
    manifest = plistlib.loads(path.read_bytes())
    items = [
        (tag, struct.pack(">L", iterations) if tag == b"ITER" else value)
        for tag, value in decode_tlv(manifest["BackupKeyBag"])
    ]
    manifest["BackupKeyBag"] = b"".join(tag + struct.pack(">L", len(value)) + value for tag, value in items)
    path.write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    with pytest.raises(CorruptBackupError, match="iterations"):
        await folder_vault(tmp_path).open(SMALL_ID, PASSPHRASE)
