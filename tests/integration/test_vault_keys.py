"""The real vault's keybag: absurd or malformed parameters are corrupt, not slow; key derivation runs off
the event loop, in threads of its own."""

import asyncio
import plistlib
import time
from pathlib import Path

import pytest

from ios_backup_api.domain.errors import CorruptBackupError
from ios_backup_api.domain.manifest import FileQuery
from tests.support.vault_cases import SMALL_ID, folder_vault, set_keybag_value, write_small


@pytest.mark.parametrize(("tag", "value"), [(b"DPIC", 0), (b"DPIC", 10**9), (b"ITER", 0), (b"ITER", 10**8)])
async def test_absurd_iteration_counts_are_corrupt_without_being_tried(
    tmp_path: Path, tag: bytes, value: int
) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    set_keybag_value(folder, tag, value)
    started = time.perf_counter()
    with pytest.raises(CorruptBackupError, match="iterations"):
        await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)
    assert time.perf_counter() - started < 1


def _rewrite_manifest_plist(folder: Path, **changes: object) -> None:
    path = folder / "Manifest.plist"
    manifest = plistlib.loads(path.read_bytes())
    for key, value in changes.items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    path.write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"BackupKeyBag": b"\x00garbage"}, "keybag"),
        ({"BackupKeyBag": b"TYPE\x00\x00\x00\x04\x00\x00\x00\x09"}, "keybag"),
        ({"BackupKeyBag": None}, "BackupKeyBag"),
        ({"IsEncrypted": "yes"}, "IsEncrypted"),
        ({"ManifestKey": b"short"}, "ManifestKey"),
        ({"ManifestKey": b"\x04\x00\x00\x00" + bytes(40)}, "does not unwrap"),
    ],
)
async def test_a_malformed_manifest_plist_is_corrupt(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    _rewrite_manifest_plist(folder, **changes)
    with pytest.raises(CorruptBackupError, match=message):
        await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)


async def test_a_keybag_without_passphrase_protected_class_keys_is_corrupt(tmp_path: Path) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    keybag = plistlib.loads((folder / "Manifest.plist").read_bytes())["BackupKeyBag"]
    header_end = keybag.index(b"UUID", keybag.index(b"DPSL"))  # the second UUID starts the class keys
    _rewrite_manifest_plist(folder, BackupKeyBag=keybag[:header_end])
    with pytest.raises(CorruptBackupError, match="class keys"):
        await folder_vault(tmp_path).open(SMALL_ID, spec.passphrase)


async def test_a_missing_or_garbage_manifest_plist_is_corrupt(tmp_path: Path) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    vault = folder_vault(tmp_path)
    (folder / "Manifest.plist").write_bytes(b"not a plist")
    with pytest.raises(CorruptBackupError, match=r"Manifest.plist"):
        await vault.open(SMALL_ID, spec.passphrase)
    (folder / "Manifest.plist").unlink()
    with pytest.raises(CorruptBackupError, match=r"Manifest.plist is missing"):
        await vault.open(SMALL_ID, spec.passphrase)


MAX_GAP = 0.15


async def test_key_derivation_does_not_block_the_event_loop(tmp_path: Path) -> None:
    _, spec = write_small(tmp_path, encrypted=True, dpic_iterations=4_000_000)
    vault = folder_vault(tmp_path)
    gaps: list[float] = []
    opened = False

    async def tick() -> None:
        last = time.perf_counter()
        while not opened:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    handle = await vault.open(SMALL_ID, spec.passphrase)
    took = time.perf_counter() - started
    opened = True
    await ticker
    assert took > 2 * MAX_GAP, "the derivation must be slow enough for a blocked loop to show"
    assert max(gaps) < MAX_GAP
    assert (await handle.files(FileQuery())).total > 0
