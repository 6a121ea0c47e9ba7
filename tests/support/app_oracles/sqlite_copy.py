"""How the oracles read an app database, independently of the readers: plain sqlite3 on a temporary copy of
the main file and its -wal (SQLite applies the WAL itself), `SELECT *`, the rest done in Python."""

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

Row = dict[str, Any]


def read_tables(main: bytes, wal: bytes | None, *tables: str) -> dict[str, list[Row]]:
    """Every row of each of `tables` that exists (every table when none is named; a missing one is absent
    from the answer), as {lower-case column: value} with its `rowid`; text as bytes (see `values.text`)."""
    with tempfile.TemporaryDirectory(prefix="oracle-") as folder:
        path = Path(folder) / "app.sqlite"
        path.write_bytes(main)
        if wal is not None:
            path.with_name("app.sqlite-wal").write_bytes(wal)
        connection = sqlite3.connect(path)
        connection.text_factory = bytes
        try:
            present = [
                name.decode()
                for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            found = {}
            for name in present:
                if tables and name not in tables:
                    continue
                cursor = connection.execute(f'SELECT rowid AS "rowid", * FROM "{name}"')  # noqa: S608
                columns = [column[0].lower() for column in cursor.description]
                found[name] = [dict(zip(columns, row, strict=True)) for row in cursor]
            return found
        finally:
            connection.close()
