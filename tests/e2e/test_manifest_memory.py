"""Memory bounded by what a Manifest.db is, not by what it claims, against a real server process: wrong
passphrases on a backup whose Manifest.db is a sparse file of 2 GiB cost no more than the service at rest,
and a manifest whose answers would be larger than any phone's is refused (409), not built."""

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from contextlib import closing, suppress
from pathlib import Path

import httpx
import pytest

from tests.support.backups import ENCRYPTED_ID, PLAIN_ID
from tests.support.server import RunningServer, running_server, status_bytes

TOKEN = "manifest-memory-api-token-0123456789"
SPARSE_SIZE = 2 << 30
PEAK_BOUND = 512 << 20
SPARSE = [f"sparse-{number}" for number in range(3)]

HELD = {"MANIFEST__READ_AHEAD_MAX_MIB": "4096", "MANIFEST__PAGED_FROM_MIB": "-1"}
READ_AHEAD = {
    # The default bound (512 MiB): a Manifest.db of 2 GiB is read only once a passphrase proved right.
    "not read ahead": {},
    # A bound above 2 GiB, and every manifest held in memory (one is otherwise read page by page, never
    # ahead): the file is read while each wrong passphrase is tried, and the read must stop when the
    # attempt fails (every way of holding the bytes, as the operator may choose).
    "read ahead into a RAM file": {**HELD, "MANIFEST__MEMORY": "ram-file"},
    "read ahead in process": {**HELD, "MANIFEST__MEMORY": "in-process"},
}


@pytest.mark.parametrize("read_ahead", list(READ_AHEAD))
async def test_wrong_passphrases_on_a_sparse_2_gib_manifest_cost_under_512_mib_at_peak(
    base_path: Path, tmp_path: Path, read_ahead: str
) -> None:
    for name in SPARSE:
        shutil.copytree(base_path / ENCRYPTED_ID, base_path / name)
        os.truncate(base_path / name / "Manifest.db", SPARSE_SIZE)  # a hole: nothing of it is on disk
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base_path),
        "IOS_BACKUP_UNLOCK__FREE_ATTEMPTS": "100",  # every guess is answered, none is throttled
        **{f"IOS_BACKUP_{name}": value for name, value in READ_AHEAD[read_ahead].items()},
    }
    with running_server(env, tmp_path, tmp_path / "server.log") as server:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"X-API-Token": TOKEN}, timeout=60
        ) as client:

            async def guess(backup_id: str) -> int:
                response = await client.post(f"/backups/{backup_id}/unlock", json={"password": "wrong"})
                return response.status_code

            at_once_on_one = await asyncio.gather(*(guess(SPARSE[0]) for _ in range(3)))
            at_once_on_three = await asyncio.gather(*(guess(name) for name in SPARSE))
            in_a_row = [await guess(SPARSE[1]) for _ in range(3)]
        assert [*at_once_on_one, *at_once_on_three, *in_a_row] == [400] * 9
        peak_while_serving = status_bytes(server, "VmHWM")
        # Reads that outlive their request would still be running: the peak over the process's whole life,
        # read when it has exited, counts them too.
        peak_of_its_life = _stopped_peak(server)
    assert peak_while_serving < PEAK_BOUND, f"peak RSS while serving: {peak_while_serving >> 20} MiB"
    assert peak_of_its_life < PEAK_BOUND, f"peak RSS over the server's life: {peak_of_its_life >> 20} MiB"


def _stopped_peak(server: RunningServer) -> int:
    """Stops the server and returns its peak RSS over its life. SIGINT, because uvicorn re-raises the signal
    it stopped on: a SIGTERM then kills the process at once, while a SIGINT ends it as Python does, once its
    worker threads have finished what they were doing (a read still running, say). The peak is the process's
    own high-water mark, read until it exits: the `ru_maxrss` that `wait4` gives would count the test
    process's memory too (a child records the high-water mark of the memory it was forked with at exec)."""
    process: subprocess.Popen[bytes] = server.process
    process.send_signal(signal.SIGINT)
    peak = 0
    while process.poll() is None:
        with suppress(LookupError, OSError):  # gone between the poll and the read
            peak = max(peak, status_bytes(server, "VmHWM"))
        time.sleep(0.002)
    return peak


def _rewritten(folder: Path, sql: str, rows: list[tuple[str, str, bytes]] = []) -> None:  # noqa: B006
    """The plain backup's Manifest.db with `sql` run on it and regular-file rows of (domain, path, record)."""
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.executescript(sql)
        if not rows:
            return
        connection.executemany(
            "INSERT INTO Files VALUES (?, ?, ?, 1, ?)",
            ((f"{n:040x}", domain, path, record) for n, (domain, path, record) in enumerate(rows)),
        )
        connection.commit()


def test_manifests_too_large_to_be_real_answer_409_and_the_others_serve(
    base_path: Path, tmp_path: Path
) -> None:
    for name in ("generated", "huge-page", "many-domains"):
        shutil.copytree(base_path / PLAIN_ID, base_path / name)
    _rewritten(
        base_path / "generated",
        "DROP TABLE Files; CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT GENERATED ALWAYS AS"
        " (printf('%.*c', 20000000, 'x')) VIRTUAL, relativePath TEXT, flags INTEGER, file BLOB);"
        " INSERT INTO Files (fileID, relativePath, flags) VALUES ('0', 'a', 1)",
    )
    assert (base_path / "generated" / "Manifest.db").stat().st_size < 64 << 10
    _rewritten(
        base_path / "huge-page",
        "",
        [("ZDomain", f"Library/{n:03}", os.urandom(99 << 10)) for n in range(100)],
    )
    _rewritten(base_path / "many-domains", "", [(f"AppDomain-{n}", "Library", b"") for n in range(70_000)])
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base_path),
    }
    with running_server(env, tmp_path, tmp_path / "server.log") as server:
        with httpx.Client(base_url=server.url, headers={"X-API-Token": TOKEN}, timeout=60) as client:
            refused = client.post("/backups/generated/unlock", json={})
            assert (refused.status_code, refused.json()["detail"]) == (
                409,
                "Manifest.db's Files table has generated columns, which no backup has.",
            )
            huge = {
                "X-Backup-Session": client.post("/backups/huge-page/unlock", json={}).json()["session_token"]
            }
            page = client.get("/backups/huge-page/files", params={"domain": "ZDomain"}, headers=huge)
            assert page.status_code == 409, page.text
            assert "ask for fewer entries" in page.json()["detail"]
            smaller = client.get(
                "/backups/huge-page/files", params={"domain": "ZDomain", "limit": 50}, headers=huge
            )
            assert (smaller.status_code, len(smaller.json()["items"])) == (200, 50)
            many = {
                "X-Backup-Session": client.post("/backups/many-domains/unlock", json={}).json()[
                    "session_token"
                ]
            }
            domains = client.get("/backups/many-domains/domains", headers=many)
            assert domains.status_code == 409, domains.text
            assert "more domains than a phone has" in domains.json()["detail"]
            assert client.get("/backups/many-domains/files", headers=many).json()["total"] > 70_000
            plain = {
                "X-Backup-Session": client.post(f"/backups/{PLAIN_ID}/unlock", json={}).json()[
                    "session_token"
                ]
            }
            assert client.get(f"/backups/{PLAIN_ID}/domains", headers=plain).status_code == 200
        peak = status_bytes(server, "VmHWM")
    assert peak < PEAK_BOUND, f"peak RSS: {peak >> 20} MiB"
