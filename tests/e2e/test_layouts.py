"""Every layout of backup folder the service reads, over HTTP against a real server process: a copy
decrypted by iphone_backup_decrypt, iOS 10.0 and 10.1's plain manifest, a backup without Info.plist, one
still being written. Each is listed ready with its device fields and warnings, unlocks (400 on a wrong
passphrase where one is needed), lists every row, serves every payload byte-identical (and a range of
it), and its folder is byte-for-byte unchanged afterwards."""

from pathlib import Path

import httpx
import pytest

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup
from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, regular_files, tree_digests
from tests.support.layouts import decrypted_copy, in_progress, ios_10_1, without
from tests.support.server import running_server

TOKEN = "layouts-api-token-0123456789abcdef"
DECRYPTED_COPY = (
    "Manifest.plist says the backup is encrypted but Manifest.db is plain: read as a decrypted copy, "
    "its files as they are."
)
# name -> (passphrase it needs, is_encrypted listed, warnings listed)
LAYOUTS: dict[str, tuple[str | None, bool, list[str]]] = {
    "decrypted-copy": (None, False, [DECRYPTED_COPY]),
    "ios-10.1": (PASSPHRASE, True, []),
    "no-info-plist": (PASSPHRASE, True, []),
    "in-progress": (None, False, [
        "The backup is still being written: its SnapshotState is uploading.",
        "A Snapshot folder is present: a backup into this folder did not finish; nothing in it is served.",
    ]),
}  # fmt: skip


@pytest.fixture
def layouts(base_path: Path, samples: dict[str, SyntheticBackup]) -> dict[str, SyntheticBackup]:
    decrypted_copy(base_path / ENCRYPTED_ID, base_path / "decrypted-copy", PASSPHRASE)
    write_backup(base_path / "ios-10.1", ios_10_1(samples[ENCRYPTED_ID]), seed=7)
    write_backup(base_path / "no-info-plist", without(samples[ENCRYPTED_ID], "Info.plist"), seed=7)
    write_backup(base_path / "in-progress", in_progress(samples[PLAIN_ID]), seed=7)
    return {
        "decrypted-copy": samples[ENCRYPTED_ID],
        "ios-10.1": ios_10_1(samples[ENCRYPTED_ID]),
        "no-info-plist": samples[ENCRYPTED_ID],
        "in-progress": samples[PLAIN_ID],
    }


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_each_layout_is_listed_unlocked_listed_and_served(
    base_path: Path, tmp_path: Path, layouts: dict[str, SyntheticBackup], name: str
) -> None:
    spec, (passphrase, encrypted, warnings) = layouts[name], LAYOUTS[name]
    before = tree_digests(base_path)
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base_path),
    }
    with (
        running_server(env, tmp_path, tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url, headers={"X-API-Token": TOKEN}, timeout=60) as client,
    ):
        listed = {backup["id"]: backup for backup in client.get("/backups").json()["backups"]}[name]
        assert (listed["status"], listed["is_encrypted"], listed["warnings"]) == (
            "ready",
            encrypted,
            warnings,
        )
        # Info.plist writes the UDID in capitals, Manifest.plist's Lockdown in small letters.
        assert (listed["udid"].upper(), listed["product_version"]) == (
            spec.udid.upper(),
            spec.product_version,
        )
        assert listed["serial_number"] == spec.serial_number
        if passphrase is not None:
            wrong = client.post(f"/backups/{name}/unlock", json={"password": "not it"})
            assert wrong.status_code == 400, wrong.text
        unlocked = client.post(f"/backups/{name}/unlock", json={"password": passphrase})
        assert unlocked.status_code == 200, unlocked.text
        session = {"X-Backup-Session": unlocked.json()["session_token"]}
        rows = client.get(f"/backups/{name}/files", params={"limit": 1000}, headers=session).json()
        assert rows["total"] == len(spec.all_entries())
        by_path = {(row["domain"], row["relative_path"]): row for row in rows["items"]}
        for file in regular_files(spec):
            row = by_path[(file.domain, file.relative_path)]
            assert (row["kind"], row["size"]) == ("file", len(file.read_bytes()))
            url = f"/backups/{name}/file/{row['file_id']}"
            assert client.get(url, headers=session).content == file.read_bytes()
            if len(file.read_bytes()) > 2:
                ranged = client.get(url, headers={**session, "Range": "bytes=1-"})
                assert (ranged.status_code, ranged.content) == (206, file.read_bytes()[1:])
    assert tree_digests(base_path) == before, "nothing is written into a backup folder"
