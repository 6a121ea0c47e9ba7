"""The oracles' way into an app database, independent of the readers': plain `sqlite3` on a temporary copy
of the main file and its `-wal` (SQLite applies the WAL itself), `SELECT *`, the rest done in Python."""

import sqlite3
import tempfile
from pathlib import Path
from typing import Any


def read_rows(main: bytes, wal: bytes | None, table: str) -> list[dict[str, Any]] | None:
    """Every row of `table` as a dict of its columns (and `rowid`), None when there is no such table; text
    that is not UTF-8 is decoded with replacement characters."""
    with tempfile.TemporaryDirectory(prefix="oracle-") as folder:
        path = Path(folder) / "app.sqlite"
        path.write_bytes(main)
        if wal is not None:
            path.with_name("app.sqlite-wal").write_bytes(wal)
        connection = sqlite3.connect(path)
        connection.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
        connection.row_factory = sqlite3.Row
        try:
            exists = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            )
            if exists.fetchone() is None:
                return None
            return [dict(row) for row in connection.execute(f'SELECT rowid AS "rowid", * FROM "{table}"')]  # noqa: S608
        finally:
            connection.close()
