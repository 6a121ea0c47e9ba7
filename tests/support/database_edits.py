"""Generated app databases changed for a test (a column dropped, odd values written), and read by the
sqlite3 command-line shell, the outside reader the generated files are checked against."""

import sqlite3
import subprocess
import tempfile
from pathlib import Path

SQLITE_SHELL = "/usr/bin/sqlite3"


def edited(main: bytes, wal: bytes | None, *statements: str) -> bytes:
    """The database (its WAL applied) after `statements`, as one main file without a WAL."""
    with tempfile.TemporaryDirectory(prefix="edited-") as folder:
        path = Path(folder) / "app.sqlite"
        path.write_bytes(main)
        if wal is not None:
            path.with_name("app.sqlite-wal").write_bytes(wal)
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            for statement in statements:
                connection.execute(statement)
            connection.execute("PRAGMA journal_mode = DELETE")
        finally:
            connection.close()
        return path.read_bytes()


def shell_rows(main: bytes, wal: bytes | None, sql: str) -> list[list[str]]:
    """What the sqlite3 shell prints for `sql` (one list per row, `|` between values)."""
    with tempfile.TemporaryDirectory(prefix="shell-") as folder:
        path = Path(folder) / "app.sqlite"
        path.write_bytes(main)
        if wal is not None:
            path.with_name("app.sqlite-wal").write_bytes(wal)
        done = subprocess.run(
            [SQLITE_SHELL, "-readonly", "-batch", str(path), sql],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return [line.split("|") for line in done.stdout.splitlines()]
