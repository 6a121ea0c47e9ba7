"""A real `ios-backup-api serve` process on a free loopback port, as a user runs it, and what it costs."""

import os
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
        """Resident memory of the server's processes (its workers' too), in bytes."""
        total = 0
        for pid in self.pids():
            try:
                total += _status_field(pid, "VmRSS")
            except (OSError, LookupError):
                continue  # ended meanwhile
        return total

    def cpu_seconds(self) -> float:
        """CPU time the server's processes (its workers' too) have used, user and system."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (the 14th and 15th fields)
        return ticks / os.sysconf("SC_CLK_TCK")

    def pids(self) -> list[int]:
        """The server's process and those it started (uvicorn's supervisor starts the workers)."""
        return [self.pid, *descendants(self.pid)]


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def _status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(name)


@contextmanager
def served(base: Path, extra_env: Mapping[str, str] | None = None, timeout: float = 120) -> Iterator[Server]:
    """The service on `base`, with a fresh SQLite catalog, on the default settings but for the `IOS_BACKUP_*`
    variables this program was run with (to measure another setting) and `extra_env`; stopped (SIGTERM)."""
    with tempfile.TemporaryDirectory(prefix="ios-backup-bench-") as scratch:
        work = Path(scratch)
        env = {
            "HOME": str(work),
            "TMPDIR": str(work),
            "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
            "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
            "IOS_BACKUP_DATABASE__URL": f"sqlite+aiosqlite:///{work / 'catalog.sqlite3'}",
            **{name: value for name, value in os.environ.items() if name.startswith("IOS_BACKUP_")},
            **(extra_env or {}),
        }
        with running_server(env, work, work / "server.log", timeout, one_process=False) as running:
            host, port = running.url.removeprefix("http://").rsplit(":", 1)
            yield Server(host, int(port), running.process.pid, running.log)
