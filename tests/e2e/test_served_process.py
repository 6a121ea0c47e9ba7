"""The service as a user runs it: `ios-backup-api serve`, configured by the contract's variables only."""

import os
import uuid
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, encrypted_spec, write_samples
from tests.support.server import running_server

TOKEN = "served-process-token-0123456789"


def _env(base: Path, database_url: str | None, home: Path, tmp: Path) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
    }
    if database_url is not None:
        env["IOS_BACKUP_DATABASE__URL"] = database_url
    return env


def _folders(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    base, home, tmp, work = (tmp_path / name for name in ("backups", "home", "tmp", "work"))
    for folder in (base, home, tmp, work):
        folder.mkdir()
    return base, home, tmp, work


def _check_listing_and_refresh(url: str, base: Path) -> None:
    headers = {"X-API-Token": TOKEN}
    listed = httpx.get(f"{url}/backups", headers=headers).json()["backups"]
    assert [backup["id"] for backup in listed] == [ENCRYPTED_ID, PLAIN_ID]
    assert httpx.get(f"{url}/backups").status_code == 401
    (base / PLAIN_ID).rename(base / "renamed")
    refreshed = httpx.post(f"{url}/backups/refresh", headers=headers).json()["backups"]
    assert {backup["id"] for backup in refreshed} == {ENCRYPTED_ID, "renamed"}
    ready = httpx.get(f"{url}/readyz")
    assert ready.json() == {"status": "ok", "database": "ok"}


def test_serve_on_the_default_sqlite_catalog(tmp_path: Path) -> None:
    base, home, tmp, work = _folders(tmp_path)
    write_samples(base)
    with running_server(_env(base, None, home, tmp), work, tmp_path / "server.log") as server:
        _check_listing_and_refresh(server.url, base)
    catalogs = list(home.rglob("catalog.sqlite3*"))
    assert [path.name for path in catalogs if path.name == "catalog.sqlite3"], "it lives in the data folder"
    # Owner only, whatever the umask (the test's is the usual 022): the catalog names the backups.
    assert {path.name: oct(path.stat().st_mode & 0o777) for path in catalogs} == {
        path.name: "0o600" for path in catalogs
    }
    folder = catalogs[0].parent
    assert [oct(path.stat().st_mode & 0o777) for path in (folder, folder.parent, folder.parent.parent)] == [
        "0o700"
    ] * 3


@pytest.mark.postgres
def test_serve_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    base, home, tmp, work = _folders(tmp_path)
    write_samples(base)
    with running_server(_env(base, postgres_url, home, tmp), work, tmp_path / "server.log") as server:
        _check_listing_and_refresh(server.url, base)


def test_a_whole_session_leaves_no_plaintext_on_disk(tmp_path: Path, wheel_script: Path) -> None:
    """Served from the wheel, in a fresh virtual environment: its migrations and files are all inside it."""
    marker = f"PLAINTEXT-MARKER-{uuid.uuid4().hex}"
    base, home, tmp, work = _folders(tmp_path)
    spec = encrypted_spec()
    secret_file = SyntheticFile("HomeDomain", f"Documents/{marker}.txt", (marker * 1000).encode())
    spec = replace(spec, entries=(*spec.entries, secret_file))
    write_backup(base / ENCRYPTED_ID, spec, seed=3)
    headers = {"X-API-Token": TOKEN}
    with (
        running_server(
            _env(base, None, home, tmp), work, tmp_path / "server.log", script=wheel_script
        ) as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=30) as client,
    ):
        token = client.post(f"/backups/{ENCRYPTED_ID}/unlock", json={"password": PASSPHRASE}).json()
        session = {"X-Backup-Session": token["session_token"]}
        items = client.get(f"/backups/{ENCRYPTED_ID}/files", params={"limit": 1000}, headers=session)
        downloaded = 0
        for item in items.json()["items"]:
            if item["kind"] == "file":
                response = client.get(f"/backups/{ENCRYPTED_ID}/file/{item['file_id']}", headers=session)
                assert response.status_code == 200
                downloaded += 1
        assert downloaded == sum(1 for e in spec.all_entries() if isinstance(e, SyntheticFile))
        assert client.post(f"/backups/{ENCRYPTED_ID}/lock", headers=session).status_code == 204
    needle = marker.encode()
    leaks = [
        path
        for folder in (base, home, tmp, work, tmp_path)
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes()
    ]
    assert leaks == []
    assert os.listdir(tmp) == []
