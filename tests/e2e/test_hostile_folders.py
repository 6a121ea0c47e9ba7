"""Someone who can write into the base path, against a real server process: links leading out of a backup
folder, named pipes where files should be, a folder swapped for a link after its unlock. Nothing outside
the base path is served, and nothing hangs the service."""

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticFile
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, regular_files
from tests.support.server import RunningServer, running_server
from tests.support.vault_cases import payload_of

TOKEN = "hostile-folders-api-token-0123456789"
HEADERS = {"X-API-Token": TOKEN}
SECRET = b"SECRET-FROM-OUTSIDE-THE-BASE-PATH\n" * 64


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_bytes(SECRET)
    return folder


def _serve(base_path: Path, tmp_path: Path) -> Iterator[RunningServer]:
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base_path),
    }
    with running_server(env, tmp_path, tmp_path / "server.log") as server:
        yield server


def _client(server: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=HEADERS, timeout=20)


def _session(client: httpx.Client, backup_id: str, password: str | None = None) -> dict[str, str]:
    response = client.post(f"/backups/{backup_id}/unlock", json={"password": password} if password else {})
    assert response.status_code == 200, response.text
    return {"X-Backup-Session": response.json()["session_token"]}


def _file(spec: SyntheticBackup, relative_path: str) -> SyntheticFile:
    return next(file for file in regular_files(spec) if file.relative_path == relative_path)


def _listed(client: httpx.Client) -> dict[str, dict[str, object]]:
    return {backup["id"]: backup for backup in client.post("/backups/refresh").json()["backups"]}


def test_links_inside_a_backup_lead_nowhere(
    base_path: Path, outside: Path, tmp_path: Path, samples: dict[str, SyntheticBackup]
) -> None:
    spec = samples[PLAIN_ID]
    linked, in_linked_folder = _file(spec, "Library/SMS/sms.db"), _file(spec, "Library/Sizes/one page.bin")
    payload = payload_of(base_path / PLAIN_ID, linked.file_id)
    payload.unlink()
    payload.symlink_to(outside / "secret.txt")
    folder = payload_of(base_path / PLAIN_ID, in_linked_folder.file_id).parent
    shutil.move(folder, outside / folder.name)
    (outside / folder.name / in_linked_folder.file_id).write_bytes(SECRET)
    folder.symlink_to(outside / folder.name)
    for server in _serve(base_path, tmp_path):
        with _client(server) as client:
            session = _session(client, PLAIN_ID)
            for file in (linked, in_linked_folder):
                response = client.get(f"/backups/{PLAIN_ID}/file/{file.file_id}", headers=session)
                assert response.status_code == 404, response.text
                assert b"SECRET" not in response.content
            kept = _file(spec, "Library/Sizes/sixteen bytes.bin")
            assert (
                client.get(f"/backups/{PLAIN_ID}/file/{kept.file_id}", headers=session).content
                == kept.read_bytes()
            )


def test_a_manifest_or_plist_that_is_a_link_is_not_followed(
    base_path: Path, tmp_path: Path, samples: dict[str, SyntheticBackup]
) -> None:
    shutil.copytree(base_path / PLAIN_ID, base_path / "manifest-link")
    (base_path / "manifest-link" / "Manifest.db").unlink()
    (base_path / "manifest-link" / "Manifest.db").symlink_to(base_path / ENCRYPTED_ID / "Manifest.db")
    shutil.copytree(base_path / PLAIN_ID, base_path / "info-link")
    (base_path / "info-link" / "Info.plist").unlink()
    (base_path / "info-link" / "Info.plist").symlink_to(base_path / ENCRYPTED_ID / "Info.plist")
    for server in _serve(base_path, tmp_path):
        with _client(server) as client:
            listed = _listed(client)
            assert (listed["manifest-link"]["status"], listed["manifest-link"]["problem"]) == (
                "unreadable",
                "Manifest.db is missing.",
            )
            # Info.plist holds no key: missing, the device fields come from Manifest.plist's, not the link's.
            assert (listed["info-link"]["status"], listed["info-link"]["device_name"]) == (
                "ready",
                samples[PLAIN_ID].device_name,
            )
            assert samples[PLAIN_ID].device_name != samples[ENCRYPTED_ID].device_name
            assert client.post("/backups/manifest-link/unlock", json={}).status_code == 409
            assert listed[PLAIN_ID]["status"] == "ready"


def test_named_pipes_where_files_should_be_hang_nothing(
    base_path: Path, tmp_path: Path, samples: dict[str, SyntheticBackup]
) -> None:
    shutil.copytree(base_path / PLAIN_ID, base_path / "pipe-plist")
    (base_path / "pipe-plist" / "Manifest.plist").unlink()
    os.mkfifo(base_path / "pipe-plist" / "Manifest.plist")
    shutil.copytree(base_path / PLAIN_ID, base_path / "pipe-payload")
    spec = samples[PLAIN_ID]
    piped = _file(spec, "Library/SMS/sms.db")
    payload_of(base_path / "pipe-payload", piped.file_id).unlink()
    os.mkfifo(payload_of(base_path / "pipe-payload", piped.file_id))
    for server in _serve(base_path, tmp_path):
        with _client(server) as client:
            for _ in range(8):
                started = time.monotonic()
                listed = _listed(client)
                assert time.monotonic() - started < 10
            # A pipe is no Manifest.plist: over a plain Manifest.db, the backup reads as unencrypted.
            assert (listed["pipe-plist"]["status"], listed["pipe-plist"]["warnings"]) == (
                "ready",
                ["Manifest.plist is missing: read as an unencrypted backup."],
            )
            session = _session(client, "pipe-payload")
            response = client.get(f"/backups/pipe-payload/file/{piped.file_id}", headers=session)
            assert response.status_code == 404, response.text
            encrypted = _session(client, ENCRYPTED_ID, PASSPHRASE)
            assert client.get(f"/backups/{ENCRYPTED_ID}/domains", headers=encrypted).status_code == 200


def test_a_folder_swapped_for_a_link_after_its_unlock_is_still_read_where_it_was(
    base_path: Path, outside: Path, tmp_path: Path, samples: dict[str, SyntheticBackup]
) -> None:
    spec = samples[PLAIN_ID]
    file = _file(spec, "Library/Sizes/one page.bin")
    shutil.copytree(base_path / PLAIN_ID, outside / "impostor")
    payload_of(outside / "impostor", file.file_id).write_bytes(SECRET)
    for server in _serve(base_path, tmp_path):
        with _client(server) as client:
            session = _session(client, PLAIN_ID)
            (base_path / PLAIN_ID).rename(tmp_path / "moved-away")
            (base_path / PLAIN_ID).symlink_to(outside / "impostor")
            response = client.get(f"/backups/{PLAIN_ID}/file/{file.file_id}", headers=session)
            assert b"SECRET" not in response.content
            assert (response.status_code, response.content) == (200, file.read_bytes())
