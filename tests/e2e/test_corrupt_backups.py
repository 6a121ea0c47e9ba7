"""Damaged backups over HTTP: each answers a JSON error with its own status and no stack trace, and the
service keeps serving the healthy backups beside them.

A payload shorter than its manifest record: an encrypted payload's true length comes from its padding, so a
cut anywhere leaves a payload that is not whole AES blocks or whose last block is not valid padding (409).
An unencrypted payload is the file itself and is served as it is on disk, with an honest Content-Length.
"""

import os
import plistlib
import random
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.adapters.vault.keybag import unlock_with_passphrase
from ios_backup_api.entrypoints.app import create_app
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, regular_files, write_samples
from tests.support.vault_cases import payload_of, set_keybag_value, small_spec

Client = AsyncTestClient  # type: ignore[type-arg]
Damage = Callable[[Path], None]


def _tiny(encrypted: bool) -> SyntheticBackup:
    """The small spec without its 3 MiB file: quick to write a dozen times."""
    spec = small_spec(encrypted)
    return replace(spec, entries=tuple(e for e in spec.entries if e.relative_path != "Media/big.bin"))


def _file(spec: SyntheticBackup, relative_path: str) -> SyntheticFile:
    return next(e for e in regular_files(spec) if e.relative_path == relative_path)


NOTES = "Library/notes.txt"  # three AES blocks when encrypted


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _cut(path: Path, size: int) -> None:
    os.truncate(path, size)


def _notes_payload(folder: Path, encrypted: bool) -> Path:
    return payload_of(folder, _file(_tiny(encrypted), NOTES).file_id)


def _flip_padding(path: Path) -> None:
    # Flipping the last byte of the next-to-last ciphertext block flips the last plaintext byte: 0x10 of a
    # whole padding block (a page-aligned database) becomes 0x11, never valid padding.
    data = bytearray(path.read_bytes())
    data[-17] ^= 1
    path.write_bytes(bytes(data))


def _reencrypted_without_padding(folder: Path) -> None:
    """As an editing tool may write it back: the same database, encrypted with the same key, unpadded."""
    manifest = plistlib.loads((folder / "Manifest.plist").read_bytes())
    key = unlock_with_passphrase(manifest["BackupKeyBag"], PASSPHRASE).unwrap_record(manifest["ManifestKey"])
    ciphertext = (folder / "Manifest.db").read_bytes()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    plaintext = padded[: -padded[-1]]
    assert plaintext.startswith(b"SQLite format 3\x00")
    assert len(plaintext) % 16 == 0
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    (folder / "Manifest.db").write_bytes(encryptor.update(plaintext) + encryptor.finalize())


def _oversized_record(folder: Path) -> None:
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.execute("UPDATE Files SET file = randomblob(200000) WHERE relativePath = ?", (NOTES,))
        connection.commit()


def _rewrite_plist(name: str, **changes: object) -> Damage:
    def damage(folder: Path) -> None:
        plist = plistlib.loads((folder / name).read_bytes())
        plist.update(changes)
        (folder / name).write_bytes(plistlib.dumps(plist, fmt=plistlib.FMT_BINARY))

    return damage


@dataclass(frozen=True)
class Case:
    encrypted: bool
    damage: Damage
    step: str
    """Where the damage shows: `scan` (listed unreadable, unlock 409), `unlock`, `download`, `listing`,
    `warning` (listed ready with `detail` its warning, and served whole), or nowhere: `opens` (tolerated,
    served whole)."""
    status: int
    detail: str


CASES = {
    # Info.plist and Status.plist hold no key: damaged, they are a warning, and the backup serves.
    "garbage Info.plist": Case(
        False, lambda f: _write(f / "Info.plist", b"\x00garbage"), "warning", 200,
        "Info.plist is not a valid property list. It was left out.",
    ),
    "truncated Manifest.plist": Case(
        True, lambda f: _cut(f / "Manifest.plist", (f / "Manifest.plist").stat().st_size // 2), "scan", 409,
        "Manifest.plist is not a valid property list.",
    ),
    "garbage Status.plist": Case(
        False, lambda f: _write(f / "Status.plist", b"<plist><dict><key>"), "warning", 200,
        "Status.plist is not a valid property list. It was left out.",
    ),
    "missing Manifest.db": Case(
        False, lambda f: (f / "Manifest.db").unlink(), "scan", 409, "Manifest.db is missing.",
    ),
    "garbage Manifest.db": Case(
        False, lambda f: _write(f / "Manifest.db", os.urandom(8192)), "scan", 409,
        "Manifest.db is no SQLite database, though the backup is not encrypted.",
    ),
    # Fixed bytes (the backup's keys are the writer's seeded ones): random ones decrypt to a valid padding one
    # time in 256, and then fail as no SQLite database, a sentence of their own.
    "encrypted Manifest.db of random bytes": Case(
        True, lambda f: _write(f / "Manifest.db", random.Random(8192).randbytes(8192)), "unlock", 409,
        "Manifest.db does not decrypt: its padding is invalid.",
    ),
    "truncated Manifest.db": Case(
        False, lambda f: _cut(f / "Manifest.db", 4096), "unlock", 409, "Manifest.db is damaged",
    ),
    "encrypted Manifest.db cut mid-block": Case(
        True, lambda f: _cut(f / "Manifest.db", (f / "Manifest.db").stat().st_size - 5), "unlock", 409,
        "Manifest.db is truncated: its size is not a whole number of AES blocks.",
    ),
    # The flip garbles the last block of the database too: tolerated padding needs a sound database.
    "encrypted Manifest.db with wrong padding": Case(
        True, lambda f: _flip_padding(f / "Manifest.db"), "unlock", 409,
        "Manifest.db does not decrypt: its padding is invalid, and what it pads is no sound database.",
    ),
    "encrypted Manifest.db re-encrypted without padding": Case(
        True, lambda f: _reencrypted_without_padding(f), "opens", 200, "",
    ),
    "keybag with absurd iteration counts": Case(
        True, lambda f: set_keybag_value(f, b"DPIC", 10**9), "unlock", 409,
        "The backup's keybag asks for an implausible number of key-derivation iterations.",
    ),
    "garbage keybag": Case(
        True, _rewrite_plist("Manifest.plist", BackupKeyBag=b"\x00garbage"), "unlock", 409,
        "The backup's keybag lacks valid key-derivation parameters.",
    ),
    "missing payload": Case(
        True, lambda f: _notes_payload(f, True).unlink(), "download", 404, "is missing from the backup",
    ),
    "encrypted payload cut mid-block": Case(
        True, lambda f: _cut(_notes_payload(f, True), 40), "download", 409,
        "is damaged: its size is not a whole number of AES blocks.",
    ),
    "encrypted payload cut at a block boundary": Case(
        True, lambda f: _cut(_notes_payload(f, True), 32), "download", 409,
        "does not decrypt: its padding is invalid.",
    ),
    "encrypted payload with wrong padding": Case(
        True, lambda f: _flip_padding(_notes_payload(f, True)), "download", 409,
        "does not decrypt: its padding is invalid.",
    ),
    "manifest record of 200 KB": Case(False, _oversized_record, "listing", 200, ""),
}  # fmt: skip


def _name(case: str) -> str:
    return case.replace(" ", "-").replace(".", "_")


@pytest.fixture(scope="module")
def damaged_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("damaged")
    write_samples(base)
    for name, case in CASES.items():
        folder = base / _name(name)
        write_backup(folder, _tiny(case.encrypted), seed=3)
        case.damage(folder)
    write_backup(base / "plain-payload-cut-short", _tiny(False), seed=3)
    _cut(_notes_payload(base / "plain-payload-cut-short", False), 10)
    return base


@pytest.fixture
async def client(damaged_base: Path, tmp_path: Path) -> AsyncIterator[Client]:
    app = create_app(settings_for(damaged_base, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"))
    async with AsyncTestClient(app) as test_client:
        test_client.headers["X-API-Token"] = API_TOKEN
        yield test_client


def _assert_clean_error(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status
    assert detail in body["detail"]
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


async def _unlock(client: Client, backup_id: str, encrypted: bool) -> httpx.Response:
    return await client.post(
        f"/backups/{backup_id}/unlock", json={"password": PASSPHRASE} if encrypted else {}
    )


async def _healthy_backups_still_serve(client: Client) -> None:
    for backup_id, encrypted in ((ENCRYPTED_ID, True), (PLAIN_ID, False)):
        unlocked = await _unlock(client, backup_id, encrypted)
        assert unlocked.status_code == 200
        session = {"X-Backup-Session": unlocked.json()["session_token"]}
        files = await client.get(f"/backups/{backup_id}/files", params={"kind": "file"}, headers=session)
        assert files.status_code == 200
        first = files.json()["items"][0]
        download = await client.get(f"/backups/{backup_id}/file/{first['file_id']}", headers=session)
        assert download.status_code == 200
        assert len(download.content) == int(download.headers["content-length"])


@pytest.mark.parametrize("name", list(CASES))
async def test_a_damaged_backup_answers_a_clean_error_and_the_others_keep_serving(
    client: Client, name: str
) -> None:
    case = CASES[name]
    backup_id = _name(name)
    listed = {b["id"]: b for b in (await client.get("/backups")).json()["backups"]}
    assert listed[backup_id]["status"] == ("unreadable" if case.step == "scan" else "ready")
    if case.step == "scan":
        assert listed[backup_id]["problem"] == case.detail
    assert listed[backup_id]["warnings"] == ([case.detail] if case.step == "warning" else [])
    unlocked = await _unlock(client, backup_id, case.encrypted)
    if case.step in ("scan", "unlock"):
        _assert_clean_error(unlocked, case.status, case.detail)
    else:
        assert unlocked.status_code == 200
        session = {"X-Backup-Session": unlocked.json()["session_token"]}
        notes = _file(_tiny(case.encrypted), NOTES)
        listing = await client.get(
            f"/backups/{backup_id}/files", params={"path_like": NOTES}, headers=session
        )
        assert listing.status_code == 200
        [item] = listing.json()["items"]
        if case.step == "listing":  # the record is ignored, not parsed: its fields are unknown
            assert (item["size"], item["mode"], item["modified_at"]) == (None, None, None)
        download = await client.get(f"/backups/{backup_id}/file/{notes.file_id}", headers=session)
        if case.step == "download":
            _assert_clean_error(download, case.status, case.detail)
        else:
            assert download.content == notes.read_bytes()
    await _healthy_backups_still_serve(client)


async def test_an_unencrypted_payload_cut_short_is_served_as_it_is_on_disk(client: Client) -> None:
    unlocked = await _unlock(client, "plain-payload-cut-short", False)
    session = {"X-Backup-Session": unlocked.json()["session_token"]}
    notes = _file(_tiny(False), NOTES)
    download = await client.get(f"/backups/plain-payload-cut-short/file/{notes.file_id}", headers=session)
    assert download.status_code == 200
    assert download.headers["content-length"] == "10"
    assert download.content == notes.read_bytes()[:10]
    await _healthy_backups_still_serve(client)
