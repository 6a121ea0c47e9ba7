"""App databases for reader tests: a generated main file and `-wal` as the readers get them (in memory, the
WAL's commits applied by the service's loader), and the generated entries by path."""

from collections.abc import Sequence

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.loading import loaded_database
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry, SyntheticFile
from ios_backup_api.domain.views.pages import EntryRef


def files_by_path(entries: Sequence[SyntheticEntry]) -> dict[str, bytes]:
    return {entry.relative_path: entry.read_bytes() for entry in entries if isinstance(entry, SyntheticFile)}


def in_memory(source: EntryRef, main: bytes, wal: bytes | None = None) -> SqliteAppDatabase:
    """What a reader is handed in service: the loader's in-memory copy, the WAL's committed frames applied."""
    return loaded_database(source, bytearray(main), None if wal is None else bytearray(wal))
