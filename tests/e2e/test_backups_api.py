import plistlib
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.spec import (
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticFile,
    SyntheticSymlink,
)
from tests.support.backups import ENCRYPTED_ID, PLAIN_ID

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_health_and_readiness_need_no_token(client: Client) -> None:
    del client.headers["X-API-Token"]
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok"})


async def test_openapi_is_public(client: Client) -> None:
    del client.headers["X-API-Token"]
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/backups/{backup_id}/files" in schema.json()["paths"]


async def test_every_other_route_answers_401_without_the_right_token(client: Client) -> None:
    routes = [
        ("GET", "/backups"),
        ("POST", "/backups/refresh"),
        ("POST", f"/backups/{PLAIN_ID}/unlock"),
        ("POST", f"/backups/{PLAIN_ID}/lock"),
        ("GET", f"/backups/{PLAIN_ID}/files"),
        ("GET", f"/backups/{PLAIN_ID}/domains"),
        ("GET", f"/backups/{PLAIN_ID}/file/{'0' * 40}"),
    ]
    for token in (None, "wrong-token-wrong-token-wrong", "test-api-token-0123456789abcdeF"):
        headers = {} if token is None else {"X-API-Token": token}
        del client.headers["X-API-Token"]
        for method, path in routes:
            response = await client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, token)
            assert response.json()["status_code"] == 401
        client.headers["X-API-Token"] = "test-api-token-0123456789abcdef"


async def test_backups_are_listed_with_the_contract_fields_newest_first(
    client: Client, samples: dict[str, SyntheticBackup], base_path: Path
) -> None:
    listed = (await client.get("/backups")).json()["backups"]
    assert [backup["id"] for backup in listed] == [ENCRYPTED_ID, PLAIN_ID]
    encrypted = listed[0]
    spec = samples[ENCRYPTED_ID]
    size = sum(path.stat().st_size for path in (base_path / ENCRYPTED_ID).rglob("*") if path.is_file())
    assert encrypted == {
        "id": ENCRYPTED_ID,
        "udid": spec.udid,
        "device_name": spec.device_name,
        "display_name": spec.display_name,
        "product_type": spec.product_type,
        "product_version": spec.product_version,
        "build_version": spec.build_version,
        "serial_number": spec.serial_number,
        "is_encrypted": True,
        "last_backup_at": "2024-06-01T09:30:00Z",
        "size_bytes": size,
        "status": "ready",
        "problem": None,
        "warnings": [],
    }
    assert listed[1]["is_encrypted"] is False
    assert listed[1]["device_name"] == "Grace's iPad"


async def test_refresh_picks_up_added_and_removed_folders(client: Client, base_path: Path) -> None:
    shutil.copytree(base_path / PLAIN_ID, base_path / f"{PLAIN_ID}-20240101-120000")
    shutil.rmtree(base_path / ENCRYPTED_ID)
    before = {backup["id"] for backup in (await client.get("/backups")).json()["backups"]}
    assert before == {ENCRYPTED_ID, PLAIN_ID}
    refreshed = await client.post("/backups/refresh")
    assert refreshed.status_code == 200
    after = {backup["id"] for backup in refreshed.json()["backups"]}
    assert after == {PLAIN_ID, f"{PLAIN_ID}-20240101-120000"}
    assert {backup["id"] for backup in (await client.get("/backups")).json()["backups"]} == after


async def test_a_broken_folder_is_unreadable_with_its_reason_and_the_others_stay_ready(
    client: Client, base_path: Path
) -> None:
    broken = base_path / "broken"
    shutil.copytree(base_path / PLAIN_ID, broken)
    (broken / "Manifest.plist").write_bytes(b"\x00garbage, not a plist")
    listed = {backup["id"]: backup for backup in (await client.post("/backups/refresh")).json()["backups"]}
    assert listed["broken"]["status"] == "unreadable"
    assert listed["broken"]["problem"] == "Manifest.plist is not a valid property list."
    assert listed[PLAIN_ID]["status"] == listed[ENCRYPTED_ID]["status"] == "ready"
    unlock = await client.post("/backups/broken/unlock", json={})
    assert unlock.status_code == 409
    assert "Manifest.plist is not a valid property list." in unlock.json()["detail"]


async def test_a_manifest_plist_without_is_encrypted_is_listed_as_it_unlocks(
    client: Client, base_path: Path, samples: dict[str, SyntheticBackup]
) -> None:
    """One reading of Manifest.plist for the listing and the unlock: without the flag, its ManifestKey
    (which only encrypted backups have) tells an encrypted backup from a plain one, for both."""
    for backup_id in (ENCRYPTED_ID, PLAIN_ID):
        path = base_path / backup_id / "Manifest.plist"
        manifest = plistlib.loads(path.read_bytes())
        del manifest["IsEncrypted"]
        path.write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    listed = {b["id"]: b for b in (await client.post("/backups/refresh")).json()["backups"]}
    for backup_id, spec in samples.items():
        assert (listed[backup_id]["status"], listed[backup_id]["is_encrypted"]) == (
            "ready",
            spec.passphrase is not None,
        )
        unlocked = await client.post(f"/backups/{backup_id}/unlock", json={"password": spec.passphrase})
        assert unlocked.status_code == 200, unlocked.text
        session = {"X-Backup-Session": unlocked.json()["session_token"]}
        files = await client.get(f"/backups/{backup_id}/files", headers=session)
        assert files.json()["total"] == len(list(spec.all_entries()))


async def test_rows_of_other_flags_are_listed_by_the_kind_of_their_mode_and_served(
    client: Client, base_path: Path, samples: dict[str, SyntheticBackup]
) -> None:
    spec = samples[PLAIN_ID]
    entries = spec.all_entries()
    regular = next(entry for entry in entries if isinstance(entry, SyntheticFile) and entry.size > 0)
    folder = next(entry for entry in entries if isinstance(entry, SyntheticDirectory))
    link = next(entry for entry in entries if isinstance(entry, SyntheticSymlink))
    unknown_id = "f" * 40
    with closing(sqlite3.connect(base_path / PLAIN_ID / "Manifest.db")) as connection:
        for flags, entry in ((0, regular), (8, link), (None, folder)):
            connection.execute("UPDATE Files SET flags = ? WHERE fileID = ?", (flags, entry.file_id))
        connection.execute(
            "INSERT INTO Files VALUES (?, ?, 'Library/unknown', 16, NULL)", (unknown_id, regular.domain)
        )
        connection.commit()
    unlocked = await client.post(f"/backups/{PLAIN_ID}/unlock", json={})
    session = {"X-Backup-Session": unlocked.json()["session_token"]}
    listed = (await client.get(f"/backups/{PLAIN_ID}/files?limit=1000", headers=session)).json()
    kinds = {item["file_id"]: item["kind"] for item in listed["items"]}
    assert listed["total"] == len(entries) + 1
    assert [kinds[entry.file_id] for entry in (regular, folder, link)] == ["file", "directory", "symlink"]
    assert kinds[unknown_id] is None
    for kind, entry in (("file", regular), ("directory", folder), ("symlink", link)):
        page = await client.get(f"/backups/{PLAIN_ID}/files?limit=1000&kind={kind}", headers=session)
        ids = {item["file_id"] for item in page.json()["items"]}
        assert entry.file_id in ids, kind
        assert unknown_id not in ids, kind
        assert page.json()["total"] == sum(kinds[other.file_id] == kind for other in entries)
    served = await client.get(f"/backups/{PLAIN_ID}/file/{regular.file_id}", headers=session)
    assert (served.status_code, served.content) == (200, regular.read_bytes())
    missing = await client.get(f"/backups/{PLAIN_ID}/file/{unknown_id}", headers=session)
    assert missing.status_code == 404
