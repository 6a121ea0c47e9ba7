"""A real `ios-backup-api serve` process on a free loopback port, as a user runs it, and what it costs."""

import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# One runner for the tests and the benchmarks: the repository's root makes `tests.support` importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.support.server import running_server

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


@contextmanager
def served(base: Path, extra_env: Mapping[str, str] | None = None, timeout: float = 120) -> Iterator[Server]:
    """The service on `base`, with a fresh SQLite catalog; stopped (SIGTERM) on exit."""
    with tempfile.TemporaryDirectory(prefix="ios-backup-bench-") as scratch:
        work = Path(scratch)
        env = {
            "HOME": str(work),
            "TMPDIR": str(work),
            "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
            "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
            "IOS_BACKUP_DATABASE__URL": f"sqlite+aiosqlite:///{work / 'catalog.sqlite3'}",
            **(extra_env or {}),
        }
        with running_server(env, work, work / "server.log", timeout) as running:
            host, port = running.url.removeprefix("http://").rsplit(":", 1)
            yield Server(host, int(port), running.process.pid, running.log)
