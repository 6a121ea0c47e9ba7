"""GET /backups/{id}/files.ndjson against a real server process: every match of the filters of /files, one
JSON line each, in the listing's order, the same entries the pages give (a manifest of 2,500 rows and more
runs than one, on the encrypted and the unencrypted samples); the count in X-Total-Count; paging and
malformed parameters refused with 400, no session with 401; a lock ends the stream, cut short, with one
line in the log."""

import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE
from tests.support.server import RunningServer, running_server, service_env
from tests.support.streams import received_until_locked
from tests.support.vault_cases import SMALL_ID, add_rows, write_small

TOKEN = "lines-api-token-0123456789abcdef"
ROWS = 2500
FILTERS = {
    "every entry": {},
    "a domain": {"domain": "ZDomain"},
    "a kind": {"kind": "directory"},
    "path_like": {"path_like": "%7%"},
    "nothing": {"domain": "NoSuchDomain"},
}


def _written(base: Path, samples: Path, rows: int) -> Path:
    """The samples and the small backup with `rows` more rows, under `base`."""
    shutil.copytree(samples, base)
    folder, _ = write_small(base, encrypted=False)
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        (record,) = connection.execute("SELECT file FROM Files WHERE flags = 1 LIMIT 1").fetchone()
    add_rows(folder, [("ZDomain", f"Library/{n:06}.txt", record) for n in range(rows)])
    return base


@contextmanager
def _served(base: Path, scratch: Path) -> Iterator[tuple[RunningServer, httpx.Client]]:
    with (
        running_server(service_env(base, TOKEN, scratch), scratch, scratch / "server.log") as running,
        httpx.Client(base_url=running.url, headers={"X-API-Token": TOKEN}, timeout=60) as client,
    ):
        yield running, client


@pytest.fixture(scope="module")
def client(
    sample_root: tuple[Path, dict[str, SyntheticBackup]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """One server for the tests that read (none of them changes what it serves)."""
    scratch = tmp_path_factory.mktemp("lines")
    with _served(_written(scratch / "backups", sample_root[0], ROWS), scratch) as (_, client):
        yield client


def _session(client: httpx.Client, backup_id: str, password: str | None) -> dict[str, str]:
    response = client.post(f"/backups/{backup_id}/unlock", json={"password": password})
    assert response.status_code == 200, response.text
    return {"X-Backup-Session": response.json()["session_token"]}


def _paged(
    client: httpx.Client, backup_id: str, session: dict[str, str], filters: dict[str, str]
) -> list[Any]:
    items: list[Any] = []
    while True:
        params = {**filters, "limit": "1000", "offset": str(len(items))}
        page = client.get(f"/backups/{backup_id}/files", params=params, headers=session).json()
        items += page["items"]
        if len(items) >= page["total"]:
            return items


@pytest.mark.parametrize("backup_id", [SMALL_ID, ENCRYPTED_ID])
@pytest.mark.parametrize("filters", list(FILTERS.values()), ids=list(FILTERS))
def test_the_lines_are_the_entries_of_every_page_in_their_order(
    client: httpx.Client, backup_id: str, filters: dict[str, str]
) -> None:
    session = _session(client, backup_id, None if backup_id == SMALL_ID else PASSPHRASE)
    with client.stream(
        "GET", f"/backups/{backup_id}/files.ndjson", params=filters, headers=session
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == "application/x-ndjson"
        assert response.headers["cache-control"] == "no-store"
        body = response.read()
    lines = [json.loads(line) for line in body.split(b"\n")[:-1]]
    assert body == b"" or body.endswith(b"\n")
    expected = _paged(client, backup_id, session, filters)
    assert lines == expected
    assert int(response.headers["x-total-count"]) == len(expected)
    if backup_id == SMALL_ID and filters in ({}, {"domain": "ZDomain"}):
        assert len(expected) >= ROWS, "more runs than one"


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("limit=10", "limit is not one of its parameters"),
        ("offset=0", "offset is not one of its parameters"),
        ("kind=socket", "kind"),
        ("domain=a%00b", "domain"),
    ],
)
def test_paging_and_malformed_parameters_are_refused(client: httpx.Client, query: str, detail: str) -> None:
    session = _session(client, SMALL_ID, None)
    response = client.get(f"/backups/{SMALL_ID}/files.ndjson?{query}", headers=session)
    assert response.status_code == 400
    assert detail in response.json()["detail"]


def test_without_a_session_nothing_is_listed(client: httpx.Client) -> None:
    response = client.get(f"/backups/{SMALL_ID}/files.ndjson")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")


def test_a_lock_mid_stream_ends_it_cut_short_with_one_log_line(
    sample_root: tuple[Path, dict[str, SyntheticBackup]], tmp_path: Path
) -> None:
    rows = 100_000  # 27 MB of lines: far more than the sockets hold
    with _served(_written(tmp_path / "backups", sample_root[0], rows), tmp_path) as (server, client):
        session = _session(client, SMALL_ID, None)
        path = f"/backups/{SMALL_ID}/files.ndjson"
        whole = 250 * rows  # each line is longer than 250 bytes
        assert received_until_locked(client, SMALL_ID, path, session) < whole
        assert client.get("/healthz").status_code == 200
        time.sleep(0.2)
        text = server.log.read_text()
    assert "Traceback" not in text
    assert text.count("A download stopped: its session ended") == 1
