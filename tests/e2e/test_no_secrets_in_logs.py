"""A whole session against a real server process, then its entire output (stdout and stderr, from start to
shutdown) is searched for every secret it handled: the API token, the passphrase and a wrong guess, the
session tokens, the passphrase key and the class keys (derived on their own by iphone_backup_decrypt), in
every usual spelling. None may appear."""

import base64
import json
import uuid
from dataclasses import replace
from pathlib import Path

import httpx
from iphone_backup_decrypt import EncryptedBackup

from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import PLAIN_ID, encrypted_spec, plain_spec, regular_files
from tests.support.server import running_server

BACKUP_ID = "secret-keeping-backup"


def _spellings(secret: bytes) -> list[bytes]:
    """The bytes as they are, and as logs tend to print them."""
    text = secret.decode("utf-8", errors="backslashreplace")
    spellings = [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
        repr(secret).encode()[2:-1],
        json.dumps(text).encode()[1:-1],
        text.encode("unicode_escape"),
    ]
    return [spelling for spelling in spellings if len(spelling) >= 8]


def test_a_whole_session_logs_no_token_passphrase_or_key(tmp_path: Path) -> None:
    api_token = f"api-token-{uuid.uuid4().hex}"
    passphrase = f"pässphrase-{uuid.uuid4().hex}-🔑"
    wrong_guess = f"wrong-guess-{uuid.uuid4().hex}"
    base = tmp_path / "backups"
    spec = replace(encrypted_spec(), passphrase=passphrase)
    write_backup(base / BACKUP_ID, spec, seed=11)
    write_backup(base / PLAIN_ID, plain_spec(), seed=7)
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": api_token,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
    }
    log = tmp_path / "server.log"
    session_tokens = []
    with (
        running_server(env, tmp_path, log) as server,
        httpx.Client(base_url=server.url, headers={"X-API-Token": api_token}, timeout=30) as client,
    ):
        unlock = f"/backups/{BACKUP_ID}/unlock"
        assert client.post(unlock, json={"password": wrong_guess}).status_code == 400
        assert client.post(unlock, json={"password": passphrase, "admin": True}).status_code == 400
        assert client.post(unlock, json={"password": [passphrase]}).status_code == 400
        assert client.post(unlock, json={"password": passphrase * 40}).status_code == 400
        assert client.get("/backups", headers={"X-API-Token": wrong_guess}).status_code == 401
        unlocked = client.post(unlock, json={"password": passphrase})
        assert unlocked.status_code == 200
        token = unlocked.json()["session_token"]
        session_tokens.append(token)
        session = {"X-Backup-Session": token}
        assert client.get("/backups").status_code == 200
        assert client.get(f"/backups/{BACKUP_ID}/domains", headers=session).status_code == 200
        listing = client.get(f"/backups/{BACKUP_ID}/files", params={"limit": 1000}, headers=session)
        for item in listing.json()["items"]:
            if item["kind"] == "file":
                assert client.get(f"/backups/{BACKUP_ID}/file/{item['file_id']}", headers=session).is_success
        some_file = regular_files(spec)[0].file_id
        ranged = client.get(
            f"/backups/{BACKUP_ID}/file/{some_file}", headers={**session, "Range": "bytes=0-3"}
        )
        assert ranged.status_code == 206
        foreign = client.post(f"/backups/{PLAIN_ID}/unlock", json={}).json()["session_token"]
        session_tokens.append(foreign)
        assert (
            client.get(f"/backups/{BACKUP_ID}/files", headers={"X-Backup-Session": foreign}).status_code
            == 403
        )
        assert client.post(f"/backups/{BACKUP_ID}/lock", headers=session).status_code == 204
        assert client.get(f"/backups/{BACKUP_ID}/domains", headers=session).status_code == 401
        assert client.post("/backups/refresh").status_code == 200
    output = log.read_bytes()
    assert b"Found 2 backup(s)" in output, "the log was captured"
    assert b"Application shutdown complete" in output, "and kept to the end"

    oracle = EncryptedBackup(backup_directory=str(base / BACKUP_ID), passphrase=passphrase)
    oracle.test_decryption()
    passphrase_key: bytes = oracle.keybag.passphrase_key
    class_keys: list[bytes] = list(oracle.keybag.classes_keys.values())
    secrets = {
        "API token": api_token.encode(),
        "passphrase": passphrase.encode(),
        "wrong guess": wrong_guess.encode(),
        "passphrase key": passphrase_key,
        **{f"session token {n}": t.encode() for n, t in enumerate(session_tokens)},
        **{f"class key {n}": key for n, key in enumerate(class_keys)},
    }
    leaks = [
        name for name, secret in secrets.items() for spelling in _spellings(secret) if spelling in output
    ]
    assert leaks == []
