"""The manifest entries of one generated app database: its folder, its main file and, as a phone that wrote
since the last checkpoint leaves it, its `-wal`."""

import posixpath
import sqlite3

from ios_backup_api.adapters.backup_writer.apps.sqlite_files import Filling, database_files
from ios_backup_api.adapters.backup_writer.spec import SyntheticDirectory, SyntheticEntry, SyntheticFile


def database_entries(
    domain: str, path: str, create: Filling, newest: Filling, *, wal: bool
) -> list[SyntheticEntry]:
    """With `wal`, the commits of `newest` are in `<path>-wal` only; without, the main file holds them too,
    so both databases read the same."""

    def everything(connection: sqlite3.Connection) -> None:
        create(connection)
        newest(connection)

    main, log = database_files(create, newest) if wal else database_files(everything)
    entries: list[SyntheticEntry] = [
        SyntheticDirectory(domain, posixpath.dirname(path), protection_class=0),
        SyntheticFile(domain, path, main),
    ]
    if log is not None:
        entries.append(SyntheticFile(domain, f"{path}-wal", log))
    return entries
