"""How the oracles read an app database: plain sqlite3 on a temporary copy of the main file and its -wal, so
that SQLite itself applies the WAL; `SELECT *`, text that is not UTF-8 decoded with replacement characters."""

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any


def read_tables(main: bytes, wal: bytes | None, *tables: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of each of `tables` that exists (a missing table is absent from the answer)."""
    folder = Path(tempfile.mkdtemp(prefix="oracle-"))
    try:
        (folder / "app.sqlite").write_bytes(main)
        if wal is not None:
            (folder / "app.sqlite-wal").write_bytes(wal)
        connection = sqlite3.connect(folder / "app.sqlite")
        connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
        connection.row_factory = sqlite3.Row
        try:
            present = {row["name"] for row in connection.execute("SELECT name FROM sqlite_master")}
            return {
                table: [dict(row) for row in connection.execute(f"SELECT * FROM {table}")]  # noqa: S608
                for table in tables
                if table in present
            }
        finally:
            connection.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
