"""`serve` with several worker processes behind one port: any worker serves a session another unlocked, a lock
in one ends the session in all, and each keeps the read deadline of its connections."""

import contextlib
import http.client
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, encrypted_spec, regular_files, write_samples
from tests.support.server import RunningServer, running_server

TOKEN = "workers-api-token-0123456789abcdef"
WORKERS = 2


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """Defaults but for the workers: the session store is then the catalog database (SQLite), by itself."""
    root = tmp_path_factory.mktemp("workers")
    base, home = root / "backups", root / "home"
    base.mkdir()
    home.mkdir()
    write_samples(base)
    env = {
        "HOME": str(home),
        "TMPDIR": str(home),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
        "IOS_BACKUP_SERVER__WORKERS": str(WORKERS),
        "IOS_BACKUP_SERVER__REQUEST_READ_TIMEOUT_SECONDS": "1",
    }
    with running_server(env, root, root / "server.log", timeout=60, one_process=False) as server:
        yield server


def _workers(server: RunningServer) -> set[int]:
    """The supervisor's children that listen on the port (multiprocessing may start a helper beside them)."""
    children = set()
    for task in os.listdir(f"/proc/{server.process.pid}/task"):
        children |= {
            int(pid) for pid in Path(f"/proc/{server.process.pid}/task/{task}/children").read_text().split()
        }
    return {pid for pid in children if _listening_inode(server) in _socket_inodes(pid)}


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _held_manifests(pid: int) -> int:
    """Descriptors by which the process holds an unlocked manifest: a RAM file (a nameless tmpfs file, a
    manifest held in memory) or a backup's Manifest.db (one read page by page, the default)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            count += target.startswith("/dev/shm/ios-backup-api-") and target.endswith("(deleted)")
            count += target.endswith("/Manifest.db")
    return count


def _tcp_inode(local_port: int, remote_port: int | None) -> str | None:
    """The inode of the loopback TCP socket on `local_port` to `remote_port` (None: listening)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) != local_port:
            continue
        listening = remote_port is None and fields[3] == "0A"  # TCP_LISTEN
        if listening or remote_port == int(remote.split(":")[1], 16):
            return inode
    return None


def _listening_inode(server: RunningServer) -> str | None:
    return _tcp_inode(_port(server), None)


def _port(server: RunningServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


class Connection:
    """One kept-alive connection, and the worker process that accepted it."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.http = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=30)
        self.http.connect()
        self.worker = self._worker()

    def _worker(self) -> int:
        client_port = self.http.sock.getsockname()[1]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # accepted by a worker a moment after the client connected
            inode = _tcp_inode(_port(self.server), client_port)
            holders = [pid for pid in _workers(self.server) if inode in _socket_inodes(pid)]
            if inode is not None and len(holders) == 1:
                return holders[0]
            time.sleep(0.05)
        raise AssertionError("no one worker holds the connection")

    def request(
        self, method: str, path: str, session: str | None = None, body: object = None
    ) -> tuple[int, bytes]:
        headers = {"X-API-Token": TOKEN, "Content-Type": "application/json"}
        if session is not None:
            headers["X-Backup-Session"] = session
        self.http.request(method, path, None if body is None else json.dumps(body), headers)
        response = self.http.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.http.close()


def _on_another_worker(server: RunningServer, than: int) -> Connection:
    """A connection a worker other than `than` accepted: new connections until one is."""
    for _ in range(200):
        connection = Connection(server)
        if connection.worker != than:
            return connection
        connection.close()
    raise AssertionError(f"every connection went to worker {than}")


def test_the_workers_are_separate_processes_on_one_port(served: RunningServer) -> None:
    workers = _workers(served)
    assert len(workers) == WORKERS
    assert served.process.pid not in workers


def test_a_session_unlocked_in_one_worker_is_served_by_another_and_a_lock_in_it_ends_it_in_all(
    served: RunningServer,
) -> None:
    first = Connection(served)
    status, body = first.request("POST", f"/backups/{ENCRYPTED_ID}/unlock", body={"password": PASSPHRASE})
    assert status == 200, body
    session = json.loads(body)["session_token"]
    files = f"/backups/{ENCRYPTED_ID}/files?limit=1000"
    status, listed_first = first.request("GET", files, session)
    assert status == 200

    second = _on_another_worker(served, first.worker)
    assert {first.worker, second.worker} == _workers(served)
    status, listed_second = second.request("GET", files, session)
    assert status == 200, listed_second
    assert json.loads(listed_second) == json.loads(listed_first)
    # The other worker opened the backup by the session's sealed key: it decrypts the files too.
    wanted = regular_files(encrypted_spec())[0]
    status, content = second.request("GET", f"/backups/{ENCRYPTED_ID}/file/{wanted.file_id}", session)
    assert (status, content) == (200, wanted.read_bytes())

    status, _ = second.request("POST", f"/backups/{ENCRYPTED_ID}/lock", session)
    assert status == 204
    # The worker that unlocked it (and still holds the backup open) refuses the session now.
    assert _held_manifests(first.worker), (
        "the worker that unlocked it holds its manifest until it learns of the lock"
    )
    status, body = first.request("GET", files, session)
    assert status == 401, body
    # Both dropped the backup: no worker holds its manifest any more.
    assert (_held_manifests(first.worker), _held_manifests(second.worker)) == (0, 0)
    first.close()
    second.close()


def test_each_worker_closes_a_connection_whose_request_is_too_slow(served: RunningServer) -> None:
    """The read deadline (1 s here) holds in every worker: half a request on a connection of each is cut."""
    seen = set()
    for _ in range(200):
        connection = Connection(served)
        if connection.worker in seen:
            connection.close()
            continue
        seen.add(connection.worker)
        sock = connection.http.sock
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never ends its head
        sock.settimeout(10)
        started = time.monotonic()
        with contextlib.suppress(ConnectionResetError):  # closed by the worker, answering nothing
            assert sock.recv(1) == b""
        assert time.monotonic() - started < 5
        connection.close()
        if len(seen) == WORKERS:
            return
    raise AssertionError(f"connections reached only workers {seen}")
