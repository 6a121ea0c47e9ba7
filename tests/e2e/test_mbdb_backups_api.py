"""iOS 4 to 9 backups (Manifest.mbdb, payloads at the folder's root, a keybag without DPSL/DPIC) through a
real `ios-backup-api serve` over HTTP, as for the modern layout: listed ready with the device's fields,
unlocked (400 on a wrong passphrase), every row listed as recorded, every payload served byte for byte,
ranges included, and the folders left byte for byte as they were."""

from datetime import datetime
from pathlib import Path

import httpx

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup
from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import MBDB_ENCRYPTED_ID, MBDB_PLAIN_ID, mbdb_specs, regular_files, tree_digests
from tests.support.server import running_server, service_env
from tests.support.vault_cases import expected_listing

TOKEN = "mbdb-e2e-token-0123456789abcdef"
MIB = 1 << 20


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _check_summary(summary: dict[str, object], spec: SyntheticBackup) -> None:
    assert summary["status"] == "ready", summary
    assert summary["problem"] is None
    assert summary["is_encrypted"] is spec.is_encrypted
    assert summary["udid"] == spec.udid.upper()  # Info.plist's Unique Identifier
    fields = (
        "device_name",
        "display_name",
        "product_type",
        "product_version",
        "build_version",
        "serial_number",
    )
    assert {name: summary[name] for name in fields} == {name: getattr(spec, name) for name in fields}
    assert _moment(str(summary["last_backup_at"])) == spec.last_backup_at


def _check_listing(client: httpx.Client, backup_id: str, spec: SyntheticBackup) -> None:
    items: list[dict[str, object]] = []
    while True:
        page = client.get(f"/backups/{backup_id}/files", params={"limit": 7, "offset": len(items)}).json()
        items += page["items"]
        if len(items) >= page["total"]:
            break
    expected = expected_listing(spec)
    assert len(items) == len(expected)
    for item, entry in zip(items, expected, strict=True):
        assert item["file_id"] == entry.file_id
        assert (item["domain"], item["relative_path"], item["kind"]) == (
            entry.domain,
            entry.relative_path,
            entry.kind.value,
        )
        assert (item["size"], item["mode"], item["link_target"]) == (
            entry.size,
            entry.mode,
            entry.link_target,
        )
        assert item["protection_class"] == entry.protection_class
        assert _moment(str(item["modified_at"])) == entry.modified_at
    domains = client.get(f"/backups/{backup_id}/domains").json()["domains"]
    assert domains == sorted(set(spec.domains))
    links = client.get(f"/backups/{backup_id}/files", params={"kind": "symlink"}).json()
    assert [item["relative_path"] for item in links["items"]] == [
        "Library/Logs/latest.log",
        "Media/Recordings/Latest.m4a",
    ]


def _check_contents(client: httpx.Client, backup_id: str, spec: SyntheticBackup) -> None:
    for file in regular_files(spec):
        data = file.read_bytes()
        url = f"/backups/{backup_id}/file/{file.file_id}"
        whole = client.get(url)
        assert whole.status_code == 200, (file.relative_path, whole.text)
        assert whole.content == data, file.relative_path
        assert whole.headers["content-length"] == str(len(data))
        if not data:
            continue
        start, stop = (MIB - 5, 2 * MIB + 5) if len(data) > 2 * MIB + 5 else (len(data) // 3, len(data))
        ranged = client.get(url, headers={"Range": f"bytes={start}-{stop - 1}"})
        assert ranged.status_code == 206, file.relative_path
        assert ranged.content == data[start:stop], file.relative_path
        assert ranged.headers["content-range"] == f"bytes {start}-{stop - 1}/{len(data)}"
        suffix = client.get(url, headers={"Range": "bytes=-17"})
        assert suffix.content == data[-17:], file.relative_path
    unsatisfiable = client.get(
        f"/backups/{backup_id}/file/{regular_files(spec)[0].file_id}", headers={"Range": f"bytes={10**9}-"}
    )
    assert unsatisfiable.status_code == 416


def test_mbdb_backups_list_unlock_list_and_serve_over_http_and_stay_unchanged(tmp_path: Path) -> None:
    base, scratch, work = (tmp_path / name for name in ("backups", "scratch", "work"))
    for folder in (base, scratch, work):
        folder.mkdir()
    specs = mbdb_specs()
    for backup_id, spec in specs.items():
        write_backup(base / backup_id, spec, seed=5)
    before = tree_digests(base)
    with (
        running_server(service_env(base, TOKEN, scratch), work, tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url, headers={"X-API-Token": TOKEN}, timeout=60) as client,
    ):
        listed = {summary["id"]: summary for summary in client.get("/backups").json()["backups"]}
        assert set(listed) == {MBDB_ENCRYPTED_ID, MBDB_PLAIN_ID}
        for backup_id, spec in specs.items():
            _check_summary(listed[backup_id], spec)
        wrong = client.post(f"/backups/{MBDB_ENCRYPTED_ID}/unlock", json={"password": "not the passphrase"})
        assert wrong.status_code == 400, wrong.text
        missing = client.post(f"/backups/{MBDB_ENCRYPTED_ID}/unlock", json={})
        assert missing.status_code == 400, missing.text
        for backup_id, spec in specs.items():
            body = {} if spec.passphrase is None else {"password": spec.passphrase}
            unlocked = client.post(f"/backups/{backup_id}/unlock", json=body)
            assert unlocked.status_code == 200, unlocked.text
            client.headers["X-Backup-Session"] = unlocked.json()["session_token"]
            _check_listing(client, backup_id, spec)
            _check_contents(client, backup_id, spec)
            assert client.post(f"/backups/{backup_id}/lock").status_code == 204
            del client.headers["X-Backup-Session"]
    assert tree_digests(base) == before, "the backup folders are byte for byte as they were"
