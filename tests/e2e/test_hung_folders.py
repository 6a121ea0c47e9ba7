"""A backup folder that never answers (a hung disk or network mount), against a real server process: every
stat, open and listing under it blocks forever (`tests/support/hung/sitecustomize.py` makes them so in the
server). The service starts, each refresh answers within 10 s, the other backups are served, and SIGTERM
stops it."""

import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID
from tests.support.server import running_server

TOKEN = "hung-folders-api-token-0123456789"
HUNG = "hung-mount"
HOOK = Path(__file__).parents[1] / "support" / "hung"


def test_a_folder_that_never_answers_holds_up_nothing_else(base_path: Path, tmp_path: Path) -> None:
    shutil.copytree(base_path / PLAIN_ID, base_path / HUNG)
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base_path),
        "PYTHONPATH": str(HOOK),
        "HUNG_PATH_FOR_TESTS": str(base_path / HUNG),
    }
    with running_server(env, tmp_path, tmp_path / "server.log") as server:
        with httpx.Client(base_url=server.url, headers={"X-API-Token": TOKEN}, timeout=30) as client:
            for _ in range(8):
                started = time.monotonic()
                response = client.post("/backups/refresh")
                assert time.monotonic() - started < 10
                assert response.status_code == 200, response.text
            listed = {backup["id"]: backup for backup in response.json()["backups"]}
            assert listed[HUNG]["status"] == "unreadable"
            assert "did not answer within 5 s" in str(listed[HUNG]["problem"])
            assert client.post(f"/backups/{HUNG}/unlock", json={}).status_code == 409
            for backup_id, password in ((PLAIN_ID, None), (ENCRYPTED_ID, PASSPHRASE)):
                unlocked = client.post(f"/backups/{backup_id}/unlock", json={"password": password})
                assert unlocked.status_code == 200, unlocked.text
                session = {"X-Backup-Session": unlocked.json()["session_token"]}
                page = client.get(f"/backups/{backup_id}/files", params={"kind": "file"}, headers=session)
                file_id = page.json()["items"][0]["file_id"]
                assert client.get(f"/backups/{backup_id}/file/{file_id}", headers=session).status_code == 200
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            raise AssertionError("SIGTERM did not stop the service within 15 s") from None
