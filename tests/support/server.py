"""A real `ios-backup-api serve` process on a free loopback port, as a user would run it."""

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def status_bytes(server: RunningServer, field: str) -> int:
    """A memory field of the server's /proc status (`VmRSS`, `VmHWM`), in bytes."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def service_env(base: Path, token: str, scratch: Path) -> dict[str, str]:
    """The variables of a service on the backups under `base`, its home and temporary files in `scratch`
    (its catalog is the default SQLite file in that home)."""
    return {
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "IOS_BACKUP_SECURITY__API_TOKEN": token,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
    }


@contextmanager
def running_server(
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    timeout: float = 30,
    script: Path | None = None,
    max_open_files: int | None = None,
    one_process: bool = True,
) -> Iterator[RunningServer]:
    """`script` is the `ios-backup-api` to run: this environment's unless another is given (a wheel's);
    `max_open_files` its descriptor limit (`ulimit -n`), else this process's; `one_process` runs it with
    one worker, else as many as `env` or the default gives it."""
    port = free_port()
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "IOS_BACKUP_SERVER__HOST": "127.0.0.1",
        "IOS_BACKUP_SERVER__PORT": str(port),
        # One process, whose pid is `process.pid` (its memory, its descriptors), unless asked for more.
        **({"IOS_BACKUP_SERVER__WORKERS": "1"} if one_process else {}),
        **env,
    }
    executable = script or Path(sys.executable).with_name("ios-backup-api")

    def limit_the_descriptors() -> None:
        if max_open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_open_files, max_open_files))

    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(executable), "serve"],
            env=full_env,
            cwd=cwd,
            stdout=out,
            stderr=out,
            preexec_fn=limit_the_descriptors,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log, timeout)
        yield RunningServer(url, process, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"the server did not become healthy in {timeout} s:\n{log.read_text(errors='replace')}"
    )
