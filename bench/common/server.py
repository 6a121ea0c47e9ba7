"""A real `ios-backup-api serve` process on a free loopback port, as a user runs it, and what it costs."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TOKEN = "bench-api-token-0123456789abcdef"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    pid: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def rss(self) -> int:
        """Resident memory of the server process, in bytes."""
        return _status_field(self.pid, "VmRSS")


def _status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(base: Path, extra_env: Mapping[str, str] | None = None, timeout: float = 120) -> Iterator[Server]:
    """The service on `base`, with a fresh SQLite catalog; stopped (SIGTERM) on exit."""
    with tempfile.TemporaryDirectory(prefix="ios-backup-bench-") as scratch:
        work = Path(scratch)
        port = _free_port()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work),
            "TMPDIR": str(work),
            "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
            "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
            "IOS_BACKUP_DATABASE__URL": f"sqlite+aiosqlite:///{work / 'catalog.sqlite3'}",
            "IOS_BACKUP_SERVER__HOST": "127.0.0.1",
            "IOS_BACKUP_SERVER__PORT": str(port),
            **(extra_env or {}),
        }
        executable = Path(sys.executable).with_name("ios-backup-api")
        log = work / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen([str(executable), "serve"], env=env, cwd=work, stdout=out, stderr=out)
        server = Server("127.0.0.1", port, process.pid, log)
        try:
            _wait_until_healthy(server, process, timeout)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_healthy(server: Server, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server did not become healthy in {timeout} s:\n{server.log.read_text()}")
