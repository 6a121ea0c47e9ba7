"""A throwaway PostgreSQL server for the test session: initdb into a temp folder, start, stop, delete.

Binaries come from `$IOS_BACKUP_TEST_PG_BIN`, else Debian's newest `/usr/lib/postgresql/*/bin`, else
`pg_config --bindir`, else the PATH. PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` system user, in a temp folder (in /dev/shm where there is one) handed over to that user.
"""

import asyncio
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

BIN_ENV = "IOS_BACKUP_TEST_PG_BIN"
READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 30.0
SESSION_DATABASE = "ios_backup_test"
_SERVER_BINARIES = ("initdb", "postgres", "pg_isready")
_INSTALL_HINT = (
    "install Debian's `postgresql` package (apt-get install postgresql), "
    f"or point {BIN_ENV} at a folder holding initdb, postgres and pg_isready"
)


class PostgresHarnessError(RuntimeError):
    """The test PostgreSQL server can't be found, set up or started; the message says what to do."""


def find_postgres_bindir() -> Path:
    explicit = os.environ.get(BIN_ENV)
    if explicit:
        if _holds_server(Path(explicit)):
            return Path(explicit)
        raise PostgresHarnessError(f"{BIN_ENV}={explicit} holds no {', '.join(_SERVER_BINARIES)}.")
    for candidate in [*_debian_bindirs(), *_pg_config_bindir(), *_path_bindir()]:
        if _holds_server(candidate):
            return candidate
    raise PostgresHarnessError(f"No PostgreSQL server binaries found: {_INSTALL_HINT}.")


class PostgresServer:
    """A server on 127.0.0.1 that trusts its `postgres` user; `stop()` and `start()` play an outage."""

    host = "127.0.0.1"
    user = "postgres"

    def __init__(self, bindir: Path, workdir: Path, run_as: pwd.struct_passwd | None) -> None:
        self.bindir = bindir
        self.workdir = workdir
        self.port = free_port()
        self._run_as = run_as
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    @property
    def logfile(self) -> Path:
        return self.workdir / "postgres.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def url(self, database: str = SESSION_DATABASE) -> str:
        """An SQLAlchemy asyncpg URL to `database` on this server."""
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    def initdb(self) -> None:
        socket_dir = self.workdir / "socket"
        socket_dir.mkdir()
        if self._run_as is not None:
            os.chown(socket_dir, self._run_as.pw_uid, self._run_as.pw_gid)
        result = subprocess.run(
            [
                str(self.bindir / "initdb"),
                *("-D", str(self.datadir), "-A", "trust", "-U", self.user),
                *("--no-sync", "--encoding=UTF8", "--no-locale"),
            ],
            capture_output=True,
            check=False,
            **self._as_server_user(),
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace").strip()
            if self._run_as is not None:
                output += (
                    f"\n(initdb ran as {self._run_as.pw_name}, who must be able to reach {self.workdir}.)"
                )
            raise PostgresHarnessError(f"initdb failed (exit {result.returncode}):\n{output}")

    def start(self) -> None:
        """Start the server (again, on the same port and data) and return once it accepts connections."""
        if self.running:
            return
        with self.logfile.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    str(self.bindir / "postgres"),
                    *("-D", str(self.datadir), "-p", str(self.port), "-k", str(self.workdir / "socket")),
                    *("-c", f"listen_addresses={self.host}"),
                    # Durability is of no use to a throwaway server; speed is.
                    *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **self._as_server_user(),
            )
        self._wait_until_ready()

    def stop(self) -> None:
        """Shut the server down ("fast": open connections are cut) and wait until it has exited."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop the server and delete its data."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a new unique name unless given) and return its name."""
        name = name or f"test_{uuid.uuid4().hex[:16]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        async def run() -> None:
            # CREATE and DROP DATABASE can't run inside a transaction.
            engine = create_async_engine(
                self.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
            try:
                async with engine.connect() as connection:
                    await connection.exec_driver_sql(statement)
            finally:
                await engine.dispose()

        # A thread of its own, so that this works inside a running event loop (async fixtures) too.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, run()).result()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            if self._process is None or self._process.poll() is not None:
                raise PostgresHarnessError(f"postgres exited while starting:\n{self._log_tail()}")
            ready = subprocess.run(
                [
                    str(self.bindir / "pg_isready"),
                    "-q",
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                    "-U",
                    self.user,
                ],
                check=False,
            )
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                self.stop()
                raise PostgresHarnessError(
                    f"postgres did not accept connections within {READY_TIMEOUT_SECONDS:.0f} s:\n"
                    + self._log_tail()
                )
            time.sleep(0.05)

    def _as_server_user(self) -> dict[str, Any]:
        options: dict[str, Any] = {"cwd": self.workdir}
        if self._run_as is not None:
            options |= {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}
        return options

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextmanager
def running_postgres(database: str = SESSION_DATABASE) -> Iterator[PostgresServer]:
    """A started server with an empty `database`; stopped and deleted on exit."""
    bindir = find_postgres_bindir()
    run_as = _server_user() if os.geteuid() == 0 else None
    workdir = Path(tempfile.mkdtemp(prefix="ios-backup-api-pg-", dir=_scratch_folder()))
    server = PostgresServer(bindir, workdir, run_as)
    try:
        if run_as is not None:
            os.chown(workdir, run_as.pw_uid, run_as.pw_gid)
        server.initdb()
        server.start()
        server.create_database(database)
        yield server
    finally:
        server.close()


def _scratch_folder() -> str | None:
    """/dev/shm where there is one: on a disk, CREATE DATABASE takes ~10 times longer, even without fsync."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _server_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresHarnessError(
            f"PostgreSQL won't run as root and there is no `postgres` user to run it as: {_INSTALL_HINT}."
        ) from None


def _holds_server(folder: Path) -> bool:
    return all(os.access(folder / binary, os.X_OK) for binary in _SERVER_BINARIES)


def _debian_bindirs() -> list[Path]:
    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in bindir.parent.name.split(".") if part.isdigit())

    return sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)


def _pg_config_bindir() -> list[Path]:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return []
    result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
    return [Path(result.stdout.strip())] if result.returncode == 0 else []


def _path_bindir() -> list[Path]:
    initdb = shutil.which("initdb")
    return [Path(initdb).parent] if initdb else []


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
