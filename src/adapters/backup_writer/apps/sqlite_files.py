"""The bytes of an app's SQLite database as a phone leaves it in a backup: the main file, and a `-wal` file
holding the transactions not yet checkpointed into it."""

import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

Filling = Callable[[sqlite3.Connection], None]


def database_files(
    create: Filling, newest: Filling | None = None, page_size: int = 4096
) -> tuple[bytes, bytes | None]:
    """(main file, `-wal` file or None). `create` builds the schema and the older rows, which end up in the
    main file; `newest`, when given, runs after in WAL mode and its commits stay in the `-wal` file only,
    as on a phone whose app wrote since the last checkpoint. Each runs in a transaction of its own.

    Written in a temporary folder of the writer's (test data, never a backup's plaintext) and read back.
    """
    folder = Path(tempfile.mkdtemp(prefix="app-database-"))
    try:
        path = folder / "app.sqlite"
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute(f"PRAGMA page_size = {page_size}")
            connection.execute("PRAGMA journal_mode = WAL" if newest else "PRAGMA journal_mode = DELETE")
            connection.execute("PRAGMA wal_autocheckpoint = 0")
            _in_transaction(connection, create)
            if newest is None:
                return path.read_bytes(), None
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the older rows are in the main file
            _in_transaction(connection, newest)
            # Copied while the connection is open: closing the last one would checkpoint the WAL away.
            shutil.copyfile(path, folder / "main")
            shutil.copyfile(folder / "app.sqlite-wal", folder / "wal")
            return (folder / "main").read_bytes(), (folder / "wal").read_bytes()
        finally:
            connection.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _in_transaction(connection: sqlite3.Connection, filling: Filling) -> None:
    connection.execute("BEGIN")
    try:
        filling(connection)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
