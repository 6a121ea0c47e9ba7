import hashlib

from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticDirectory, SyntheticSymlink
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, regular_files

Client = AsyncTestClient  # type: ignore[type-arg]


async def unlock(client: Client, backup_id: str, password: str | None = PASSPHRASE) -> str:
    body = {} if password is None else {"password": password}
    response = await client.post(f"/backups/{backup_id}/unlock", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["ttl_seconds"] == 3600
    token: str = response.json()["session_token"]
    return token


async def test_unlock_errors_follow_the_contract(client: Client) -> None:
    wrong = await client.post(f"/backups/{ENCRYPTED_ID}/unlock", json={"password": "not it"})
    assert wrong.status_code == 400
    missing = await client.post(f"/backups/{ENCRYPTED_ID}/unlock", json={})
    assert missing.status_code == 400
    malformed = await client.post(f"/backups/{ENCRYPTED_ID}/unlock", content=b"{not json")
    assert malformed.status_code == 400
    wrong_type = await client.post(f"/backups/{ENCRYPTED_ID}/unlock", json={"password": 12})
    assert wrong_type.status_code == 400
    unknown = await client.post("/backups/no-such-backup/unlock", json={"password": "x"})
    assert unknown.status_code == 404
    for response in (wrong, missing, malformed, unknown):
        assert set(response.json()) >= {"status_code", "detail"}


async def test_an_unencrypted_backup_unlocks_without_a_password(client: Client) -> None:
    token = await unlock(client, PLAIN_ID, password=None)
    domains = await client.get(f"/backups/{PLAIN_ID}/domains", headers={"X-Backup-Session": token})
    assert domains.status_code == 200


async def test_session_rules_401_403_and_idempotent_lock(client: Client) -> None:
    token = await unlock(client, ENCRYPTED_ID)
    other = await unlock(client, PLAIN_ID, password=None)
    files = f"/backups/{ENCRYPTED_ID}/files"
    assert (await client.get(files)).status_code == 401
    assert (await client.get(files, headers={"X-Backup-Session": "bogus"})).status_code == 401
    assert (await client.get(files, headers={"X-Backup-Session": other})).status_code == 403
    assert (await client.get("/backups/nope/files", headers={"X-Backup-Session": token})).status_code == 404
    assert (await client.get(files, headers={"X-Backup-Session": token})).status_code == 200
    lock = f"/backups/{ENCRYPTED_ID}/lock"
    assert (await client.post(lock)).status_code == 401
    assert (await client.post(lock, headers={"X-Backup-Session": other})).status_code == 403
    assert (await client.post(lock, headers={"X-Backup-Session": token})).status_code == 204
    assert (await client.post(lock, headers={"X-Backup-Session": token})).status_code == 204
    assert (await client.post(lock, headers={"X-Backup-Session": "never-issued"})).status_code == 204
    assert (await client.get(files, headers={"X-Backup-Session": token})).status_code == 401


async def test_files_are_listed_filtered_and_paged(
    client: Client, samples: dict[str, SyntheticBackup]
) -> None:
    spec = samples[ENCRYPTED_ID]
    headers = {"X-Backup-Session": await unlock(client, ENCRYPTED_ID)}
    url = f"/backups/{ENCRYPTED_ID}/files"
    everything = (await client.get(url, params={"limit": 1000}, headers=headers)).json()
    entries = spec.all_entries()
    assert everything["total"] == len(entries)
    expected_order = sorted(((e.domain, e.relative_path) for e in entries), key=lambda k: (k[0], k[1]))
    assert [(item["domain"], item["relative_path"]) for item in everything["items"]] == expected_order
    for item in everything["items"]:
        assert (
            item["file_id"] == hashlib.sha1(f"{item['domain']}-{item['relative_path']}".encode()).hexdigest()
        )
    links = [e for e in entries if isinstance(e, SyntheticSymlink)]
    listed_links = (await client.get(url, params={"kind": "symlink"}, headers=headers)).json()["items"]
    assert [(item["relative_path"], item["link_target"]) for item in listed_links] == sorted(
        (link.relative_path, link.target) for link in links
    )
    dirs = (await client.get(url, params={"kind": "directory", "limit": 1000}, headers=headers)).json()
    assert dirs["total"] == sum(isinstance(e, SyntheticDirectory) for e in entries)
    home = (await client.get(url, params={"domain": "HomeDomain", "limit": 1000}, headers=headers)).json()
    assert {item["domain"] for item in home["items"]} == {"HomeDomain"}
    like = (await client.get(url, params={"path_like": "library/sms/%"}, headers=headers)).json()
    assert [item["relative_path"] for item in like["items"]] == ["Library/SMS/sms.db"]
    page = (await client.get(url, params={"limit": 3, "offset": 2}, headers=headers)).json()
    assert (page["limit"], page["offset"], page["total"]) == (3, 2, len(entries))
    assert page["items"] == everything["items"][2:5]
    sms = next(item for item in everything["items"] if item["relative_path"] == "Library/SMS/sms.db")
    assert sms["kind"] == "file"
    assert sms["mode"] == 0o100644
    assert sms["protection_class"] == 3
    assert sms["modified_at"].endswith("Z")
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"kind": "socket"}, {"limit": "many"}):
        assert (await client.get(url, params=bad, headers=headers)).status_code == 400, bad


async def test_domains_are_sorted(client: Client, samples: dict[str, SyntheticBackup]) -> None:
    headers = {"X-Backup-Session": await unlock(client, ENCRYPTED_ID)}
    domains = (await client.get(f"/backups/{ENCRYPTED_ID}/domains", headers=headers)).json()["domains"]
    assert domains == sorted(samples[ENCRYPTED_ID].domains)
    assert len(domains) >= 4


async def test_every_file_downloads_byte_identical(
    client: Client, samples: dict[str, SyntheticBackup]
) -> None:
    for backup_id, password in ((ENCRYPTED_ID, PASSPHRASE), (PLAIN_ID, None)):
        headers = {"X-Backup-Session": await unlock(client, backup_id, password)}
        for file in regular_files(samples[backup_id]):
            response = await client.get(f"/backups/{backup_id}/file/{file.file_id}", headers=headers)
            assert response.status_code == 200, file.relative_path
            assert response.content == file.read_bytes(), file.relative_path
            assert response.headers["content-length"] == str(file.size)
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["accept-ranges"] == "bytes"
            assert response.headers["etag"]
            assert response.headers["content-disposition"].startswith("attachment; filename=")


async def test_ranges_return_the_right_bytes(client: Client, samples: dict[str, SyntheticBackup]) -> None:
    headers = {"X-Backup-Session": await unlock(client, ENCRYPTED_ID)}
    big = max(regular_files(samples[ENCRYPTED_ID]), key=lambda f: f.size)
    assert big.size > 2 << 20
    data = big.read_bytes()
    url = f"/backups/{ENCRYPTED_ID}/file/{big.file_id}"
    n = len(data)
    cases = {
        "bytes=0-0": (0, 1),
        "bytes=15-16": (15, 17),
        "bytes=17-": (17, n),
        f"bytes={n - 1}-{n + 100}": (n - 1, n),
        "bytes=-17": (n - 17, n),
        f"bytes=-{n + 5}": (0, n),
        "bytes=1048570-1048600": (1048570, 1048601),
    }
    for header, (start, stop) in cases.items():
        response = await client.get(url, headers={**headers, "Range": header})
        assert response.status_code == 206, header
        assert response.content == data[start:stop], header
        assert response.headers["content-range"] == f"bytes {start}-{stop - 1}/{n}", header
        assert response.headers["content-length"] == str(stop - start)
    unsatisfiable = await client.get(url, headers={**headers, "Range": f"bytes={n}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{n}"


async def test_conditional_requests_compare_the_etag(
    client: Client, samples: dict[str, SyntheticBackup]
) -> None:
    headers = {"X-Backup-Session": await unlock(client, ENCRYPTED_ID)}
    big = max(regular_files(samples[ENCRYPTED_ID]), key=lambda f: f.size)
    data, url = big.read_bytes(), f"/backups/{ENCRYPTED_ID}/file/{big.file_id}"
    etag = (await client.get(url, headers={**headers, "Range": "bytes=0-0"})).headers["etag"]
    stale = '"0123456789abcdef0123456789abcdef"'

    def get(**extra: str):  # type: ignore[no-untyped-def]
        return client.get(url, headers={**headers, **extra})

    resumed = await get(Range="bytes=10-19", **{"If-Range": etag})
    assert (resumed.status_code, resumed.content) == (206, data[10:20])
    restarted = await get(Range="bytes=10-19", **{"If-Range": stale})
    assert (restarted.status_code, restarted.content) == (200, data), "a stale version is sent whole"
    by_date = await get(Range="bytes=10-19", **{"If-Range": "Tue, 01 Dec 2026 08:00:00 GMT"})
    assert by_date.status_code == 200
    for unchanged in (etag, f"W/{etag}", f"{stale}, {etag}", "*"):
        not_modified = await get(**{"If-None-Match": unchanged})
        assert (not_modified.status_code, not_modified.content) == (304, b""), unchanged
        assert not_modified.headers["etag"] == etag
    assert (await get(**{"If-None-Match": stale})).status_code == 200
    assert (await get(**{"If-Match": etag})).status_code == 200
    for other in (stale, f"W/{etag}"):
        failed = await get(**{"If-Match": other})
        assert failed.status_code == 412, other
        assert failed.json()["status_code"] == 412


async def test_head_answers_what_get_would_without_the_body(
    client: Client, samples: dict[str, SyntheticBackup]
) -> None:
    headers = {"X-Backup-Session": await unlock(client, ENCRYPTED_ID)}
    big = max(regular_files(samples[ENCRYPTED_ID]), key=lambda f: f.size)
    url = f"/backups/{ENCRYPTED_ID}/file/{big.file_id}"
    for extra in ({}, {"Range": "bytes=10-19"}):
        got, head = (
            await client.get(url, headers={**headers, **extra}),
            await client.head(url, headers={**headers, **extra}),
        )
        assert (head.status_code, head.content) == (got.status_code, b"")
        names = (
            "content-length",
            "content-range",
            "etag",
            "content-type",
            "content-disposition",
            "accept-ranges",
        )
        assert {name: head.headers.get(name) for name in names} == {
            name: got.headers.get(name) for name in names
        }
    assert (await client.head(url)).status_code == 401
    assert (await client.head(f"/backups/{ENCRYPTED_ID}/file/{'0' * 40}", headers=headers)).status_code == 404


async def test_non_files_and_unknown_ids_are_404(client: Client, samples: dict[str, SyntheticBackup]) -> None:
    headers = {"X-Backup-Session": await unlock(client, ENCRYPTED_ID)}
    directory = next(e for e in samples[ENCRYPTED_ID].all_entries() if isinstance(e, SyntheticDirectory))
    link = next(e for e in samples[ENCRYPTED_ID].all_entries() if isinstance(e, SyntheticSymlink))
    for file_id in (directory.file_id, link.file_id, "0" * 40):
        response = await client.get(f"/backups/{ENCRYPTED_ID}/file/{file_id}", headers=headers)
        assert response.status_code == 404, file_id
    malformed = await client.get(f"/backups/{ENCRYPTED_ID}/file/not-hex", headers=headers)
    assert malformed.status_code == 400


async def test_a_non_ascii_name_is_offered_with_an_rfc_6266_disposition(
    client: Client, samples: dict[str, SyntheticBackup]
) -> None:
    headers = {"X-Backup-Session": await unlock(client, ENCRYPTED_ID)}
    named = next(f for f in regular_files(samples[ENCRYPTED_ID]) if not f.relative_path.isascii())
    response = await client.get(f"/backups/{ENCRYPTED_ID}/file/{named.file_id}", headers=headers)
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
