"""Connections to a real server process: a request that never finishes arriving is closed by its deadline, an
idle kept-alive connection by its timeout, and one beyond the cap at once; at the descriptor limit the log
stays small, and the service answers again once the connections are gone."""

import re
import select
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import httpx

from tests.support.server import RunningServer, running_server

TOKEN = "connections-api-token-0123456789"
READ_TIMEOUT = 3.0
KEEP_ALIVE = 1


@contextmanager
def _server(tmp_path: Path, max_open_files: int | None = None, **settings: str) -> Iterator[RunningServer]:
    (tmp_path / "backups").mkdir()
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(tmp_path / "backups"),
        **{f"IOS_BACKUP_SERVER__{name.upper()}": value for name, value in settings.items()},
    }
    with running_server(env, tmp_path, tmp_path / "server.log", max_open_files=max_open_files) as server:
        yield server


def _server_with_short_timeouts(tmp_path: Path) -> AbstractContextManager[RunningServer]:
    return _server(
        tmp_path,
        request_read_timeout_seconds=str(READ_TIMEOUT),
        keep_alive_timeout_seconds=str(KEEP_ALIVE),
    )


def _connect(server: RunningServer) -> socket.socket:
    port = int(server.url.rpartition(":")[2])
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _seconds_until_closed(connections: Mapping[str, socket.socket], within: float) -> dict[str, float]:
    """When the server closed each connection (reading and discarding what it sends), from now."""
    start = time.monotonic()
    open_ones, closed = dict(connections), {}
    while open_ones and time.monotonic() - start < within:
        readable, _, _ = select.select(list(open_ones.values()), [], [], 0.05)
        for name, connection in list(open_ones.items()):
            if connection in readable and not _read_some(connection):
                closed[name] = time.monotonic() - start
                del open_ones[name]
    return closed


def _read_some(connection: socket.socket) -> bytes:
    try:
        return connection.recv(65536)
    except ConnectionResetError:
        return b""


def _get(connection: socket.socket) -> bytes:
    """One request on a kept-alive connection, and the status line of its answer."""
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b'"status":"ok"}' not in answer:
        more = _read_some(connection)
        if not more:
            return answer.partition(b"\r\n")[0]
        answer += more
    return answer.partition(b"\r\n")[0]


def test_requests_that_never_finish_arriving_are_closed_after_the_read_timeout(tmp_path: Path) -> None:
    with _server_with_short_timeouts(tmp_path) as server, ExitStack() as closing:
        connections = {
            name: closing.enter_context(_connect(server))
            for name in ("silent", "half a head", "half a body", "trickled head", "kept alive, then half")
        }
        connections["half a head"].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        # With the token, so that the app waits for the body (it reads it before it looks for the backup).
        connections["half a body"].sendall(
            b"POST /backups/x/unlock HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
            + f"X-API-Token: {TOKEN}\r\n\r\n".encode()
            + b'{"password": '
        )
        assert _get(connections["kept alive, then half"]) == b"HTTP/1.1 200 OK"
        connections["kept alive, then half"].sendall(b"GET /healthz HTTP/1.1\r\n")
        trickled = connections.pop("trickled head")
        started = time.monotonic()
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                trickled.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            if select.select([trickled], [], [], 0.25)[0] and not _read_some(trickled):
                break
        trickled_for = time.monotonic() - started

        closed = _seconds_until_closed(connections, within=READ_TIMEOUT + 5)

        assert set(closed) == set(connections), "these were held open"
        assert all(seconds <= READ_TIMEOUT + 2 for seconds in closed.values()), closed
        # A byte every quarter of a second kept no idle timer from firing: the deadline is for the whole head.
        assert READ_TIMEOUT - 0.5 <= trickled_for <= READ_TIMEOUT + 2
        with _connect(server) as fresh:
            assert _get(fresh) == b"HTTP/1.1 200 OK"


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(tmp_path: Path) -> None:
    with _server_with_short_timeouts(tmp_path) as server, _connect(server) as connection:
        assert _get(connection) == b"HTTP/1.1 200 OK"
        assert _get(connection) == b"HTTP/1.1 200 OK"
        closed = _seconds_until_closed({"idle": connection}, within=10)
    # Neither sooner (the read deadline, once the request is in) nor later (uvicorn's default of 5 s).
    assert KEEP_ALIVE - 0.2 <= closed["idle"] <= READ_TIMEOUT - 0.5


def test_a_connection_beyond_the_cap_is_closed_while_the_others_are_served(tmp_path: Path) -> None:
    with (
        _server(tmp_path, max_connections="5", request_read_timeout_seconds="60") as server,
        ExitStack() as closing,
    ):
        admitted = [closing.enter_context(_connect(server)) for _ in range(5)]
        assert [_get(connection) for connection in admitted] == [b"HTTP/1.1 200 OK"] * 5
        with _connect(server) as sixth:
            assert _get(sixth) == b"", "closed unanswered"
        assert [_get(connection) for connection in admitted] == [b"HTTP/1.1 200 OK"] * 5

        admitted.pop().close()
        assert _answers_again(server, within=10)
        assert "Refused a connection: 5 are open (IOS_BACKUP_SERVER__MAX_CONNECTIONS)." in (
            server.log.read_text()
        )


def _answers_again(server: RunningServer, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False


def test_at_the_descriptor_limit_the_log_stays_small_and_the_service_recovers(tmp_path: Path) -> None:
    # The cap left at its default, far above this process's 128 descriptors: accepts fail.
    with (
        _server(tmp_path, max_open_files=128, log_repeat_interval_seconds="2") as server,
        ExitStack() as closing,
    ):
        lines_at_start = len(server.log.read_text().splitlines())
        for _ in range(400):
            closing.enter_context(_connect(server))
        deadline = time.monotonic() + 20
        while "more like this were suppressed" not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        closing.close()
        assert _answers_again(server, within=10)
        log = server.log.read_text()
    suppressed = [int(count) for count in re.findall(r"(\d+) more like this were suppressed", log)]
    assert sum(suppressed) >= 1000, "the descriptors ran out, and asyncio logged each failed accept"
    assert "socket.accept() out of system resource" in log
    # At most 10 records of it in each 2 s (each with its traceback, 6 lines), and the counts.
    assert len(log.splitlines()) - lines_at_start < 400
