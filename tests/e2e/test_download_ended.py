"""A download whose session is locked while it streams stops there, and the real server logs one line for
it (neither a traceback nor uvicorn's own line on the unfinished response); the service goes on serving."""

import time
from dataclasses import replace
from pathlib import Path

import httpx

from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, encrypted_spec
from tests.support.server import running_server
from tests.support.streams import received_until_locked

TOKEN = "download-ended-api-token-0123456789"


def test_a_download_cut_by_a_lock_ends_with_one_log_line(tmp_path: Path) -> None:
    # Far more than the socket buffers hold, so the lock lands while the server still has chunks to send.
    big_file = SyntheticFile.of_size("HomeDomain", "Library/big.bin", 64 << 20, seed=9, protection_class=3)
    spec = encrypted_spec()
    write_backup(
        tmp_path / "backups" / ENCRYPTED_ID, replace(spec, entries=(*spec.entries, big_file)), seed=2
    )
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(tmp_path / "backups"),
    }
    log = tmp_path / "server.log"
    with (
        running_server(env, tmp_path, log) as server,
        httpx.Client(base_url=server.url, headers={"X-API-Token": TOKEN}, timeout=20) as client,
    ):
        unlocked = client.post(f"/backups/{ENCRYPTED_ID}/unlock", json={"password": PASSPHRASE}).json()
        session = {"X-Backup-Session": unlocked["session_token"]}
        files = client.get(
            f"/backups/{ENCRYPTED_ID}/files", params={"kind": "file", "limit": 1000}, headers=session
        )
        big = max(files.json()["items"], key=lambda item: item["size"] or 0)
        assert big["size"] == 64 << 20
        path = f"/backups/{ENCRYPTED_ID}/file/{big['file_id']}"
        received = received_until_locked(client, ENCRYPTED_ID, path, session)
        assert received < big["size"]
        assert client.get("/healthz").status_code == 200
        time.sleep(0.2)
    text = log.read_text()
    assert "Traceback" not in text
    assert text.count("A download stopped: its session ended") == 1
    assert "ASGI callable returned without completing response." not in text
