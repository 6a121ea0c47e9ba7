"""Hostile input over HTTP: traversal in the backup id, symlinks leading out of the base path, malformed file
ids, oversized bodies, passphrases and query parameters. Each answers a 4xx JSON error, never a 5xx, and
never reaches a file outside the base path."""

import shutil
import socket
import time
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.e2e.conftest import API_TOKEN
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID
from tests.support.server import running_server

Client = AsyncTestClient  # type: ignore[type-arg]

TRAVERSALS = [
    "..%2F..%2Fetc",
    "..%2F" + PLAIN_ID,
    "%2E%2E",
    "%2E",
    "..%5C..%5Cetc",
    "%00",
    PLAIN_ID + "%00",
    "%2Fetc%2Fpasswd",
    "~root",
    "a" * 256,
]


def _assert_json_error(response: httpx.Response, *allowed: int) -> None:
    assert response.status_code in allowed, (response.status_code, response.text)
    body = response.json()
    assert body["status_code"] == response.status_code
    assert body["detail"]
    assert "Traceback" not in response.text


async def _session(client: Client, backup_id: str = PLAIN_ID) -> dict[str, str]:
    body = {"password": PASSPHRASE} if backup_id == ENCRYPTED_ID else {}
    response = await client.post(f"/backups/{backup_id}/unlock", json=body)
    assert response.status_code == 200, response.text
    return {"X-Backup-Session": response.json()["session_token"]}


@pytest.mark.parametrize("backup_id", TRAVERSALS)
async def test_a_backup_id_that_is_not_a_child_folder_name_reaches_no_backup(
    client: Client, backup_id: str
) -> None:
    session = await _session(client)
    requests = [
        ("POST", f"/backups/{backup_id}/unlock", {}),
        ("POST", f"/backups/{backup_id}/lock", None),
        ("GET", f"/backups/{backup_id}/files", None),
        ("GET", f"/backups/{backup_id}/domains", None),
        ("GET", f"/backups/{backup_id}/file/{'0' * 40}", None),
    ]
    for method, path, body in requests:
        # httpx.URL keeps the percent-encoding as written: the server decodes it.
        response = await client.request(method, httpx.URL(path), json=body, headers=session)
        _assert_json_error(response, 400, 404)


async def test_a_symlink_leading_out_of_the_base_path_is_no_backup(
    client: Client, base_path: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(base_path / PLAIN_ID, outside / "elsewhere")
    (base_path / "escaping").symlink_to(outside / "elsewhere", target_is_directory=True)
    (base_path / "inside").symlink_to(base_path / PLAIN_ID, target_is_directory=True)
    listed = {backup["id"] for backup in (await client.post("/backups/refresh")).json()["backups"]}
    assert "escaping" not in listed
    assert "inside" in listed  # a symlink that stays inside the base path is followed
    _assert_json_error(await client.post("/backups/escaping/unlock", json={}), 404)
    assert (await client.post("/backups/inside/unlock", json={})).status_code == 200


@pytest.mark.parametrize(
    "file_id",
    ["0" * 39, "0" * 41, "A" * 40, "g" * 40, "..%2F..%2F..%2Fetc%2Fpasswd", "%2E%2E", "0" * 39 + "%00"],
)
async def test_a_file_id_that_is_not_40_lowercase_hex_is_refused(client: Client, file_id: str) -> None:
    session = await _session(client)
    response = await client.get(httpx.URL(f"/backups/{PLAIN_ID}/file/{file_id}"), headers=session)
    _assert_json_error(response, 400, 404)


async def test_a_request_body_over_64_kib_is_refused_before_it_is_read(client: Client) -> None:
    padding = "x" * (64 * 1024)
    response = await client.post(f"/backups/{ENCRYPTED_ID}/unlock", json={"password": padding})
    _assert_json_error(response, 413)


async def test_malformed_unlock_bodies_are_400_and_never_echo_the_passphrase(client: Client) -> None:
    secret = "correct horse battery staple 0123456789"
    bodies: list[bytes] = [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"password": "' + secret.encode() + b'", "admin": true}',
        b'{"password": ["' + secret.encode() + b'"]}',
        b'{"password": "' + secret.encode() + b"\xff\xfe" + b'"}',
        b'{"password": "' + b"p" * 1025 + b'"}',
        b"\x00\x01\x02",
    ]
    for body in bodies:
        response = await client.post(
            f"/backups/{ENCRYPTED_ID}/unlock", content=body, headers={"Content-Type": "application/json"}
        )
        _assert_json_error(response, 400)
        assert secret not in response.text
        assert "p" * 1025 not in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"domain": "d" * 1025},
        {"path_like": "%" * 1025},
        {"limit": "9" * 5000},
        {"offset": "9" * 5000},
        {"offset": str(2**63)},
        {"limit": "-1"},
        {"kind": "file\x00"},
        {"path_like": "Library/SMS/sms.db\x00%"},
        {"limit": "1e2"},
        {"offset": "1E1"},
        {"limit": "5.0"},
        {"limit": "+5"},
        {"offset": " 1"},
        {"domain": "HomeDomain\x00"},
    ],
    ids=lambda params: f"{next(iter(params))}-{len(next(iter(params.values())))}",
)
async def test_oversized_or_malformed_query_parameters_are_400(
    client: Client, params: dict[str, str]
) -> None:
    session = await _session(client)
    response = await client.get(f"/backups/{PLAIN_ID}/files", params=params, headers=session)
    _assert_json_error(response, 400)


async def test_a_pathological_like_pattern_within_the_limits_answers_quickly(client: Client) -> None:
    session = await _session(client, ENCRYPTED_ID)
    pattern = "%a" * 500 + "%"
    started = time.perf_counter()
    response = await client.get(
        f"/backups/{ENCRYPTED_ID}/files", params={"path_like": pattern}, headers=session
    )
    elapsed = time.perf_counter() - started
    print(f"\npath_like of 500 '%a': {elapsed * 1000:.1f} ms")
    assert elapsed < 5, "generous: it takes milliseconds"
    assert response.status_code == 200
    assert response.json()["total"] == 0


async def test_oversized_headers_are_refused_or_ignored_never_5xx(client: Client) -> None:
    session = await _session(client)
    url = f"/backups/{PLAIN_ID}/files"
    _assert_json_error(await client.get(url, headers={"X-Backup-Session": "s" * 8000}), 401)
    _assert_json_error(await client.get(url, headers={**session, "X-API-Token": "t" * 8000}), 401)
    files = (await client.get(url, params={"kind": "file"}, headers=session)).json()["items"]
    download = f"/backups/{PLAIN_ID}/file/{files[0]['file_id']}"
    for header in ("bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000):
        response = await client.get(download, headers={**session, "Range": header})
        assert response.status_code in (206, 416), header


def _raw_request(url: str, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request on a socket, exactly as written: no client normalises `..` or re-encodes anything."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def test_the_real_server_refuses_raw_traversal_and_an_endless_chunked_body(
    base_path: Path, tmp_path: Path
) -> None:
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": API_TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base_path),
    }
    with running_server(env, tmp_path, tmp_path / "server.log") as server:
        for path in (
            f"/backups/../{PLAIN_ID}/domains",
            "/backups/..%2F..%2Fetc/domains",
            "/backups/%2e%2e/domains",
            "/backups/%2e%2e%2f%2e%2e%2fetc%2fpasswd/unlock",
        ):
            status, body = _raw_request(
                server.url, f"GET {path} HTTP/1.1\nHost: x\nX-API-Token: {API_TOKEN}\nConnection: close\n"
            )
            assert status in (400, 404, 405), (path, status, body)
            assert b"Traceback" not in body
        chunk = b"x" * 16384
        # 80 KiB and no end in sight: the server must answer without waiting for the rest.
        endless = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))
        status, body = _raw_request(
            server.url,
            f"POST /backups/{ENCRYPTED_ID}/unlock HTTP/1.1\nHost: x\nX-API-Token: {API_TOKEN}\n"
            "Content-Type: application/json\nTransfer-Encoding: chunked\nConnection: close\n",
            endless,
        )
        assert status == 413, body


async def test_every_response_forbids_guessing_its_type(client: Client) -> None:
    session = await _session(client)
    listed = await client.get(f"/backups/{PLAIN_ID}/files", params={"kind": "file"}, headers=session)
    file_id = listed.json()["items"][0]["file_id"]
    responses = [
        listed,
        await client.get(f"/backups/{PLAIN_ID}/file/{file_id}", headers=session),
        await client.get(f"/backups/{PLAIN_ID}/file/{'0' * 40}", headers=session),
        await client.get("/backups", headers={"X-API-Token": "wrong-wrong-wrong-wrong"}),
        await client.get("/healthz"),
        await client.get("/schema/openapi.json"),
        await client.get("/no/such/route"),
    ]
    assert [response.headers.get("x-content-type-options") for response in responses] == ["nosniff"] * 7
