"""A Files row as the domain sees it."""

from typing import NamedTuple

from ios_backup_api.adapters.vault import mbdb
from ios_backup_api.adapters.vault.kinds import kind_of
from ios_backup_api.adapters.vault.mbfile import FileRecord, decode_file_record
from ios_backup_api.domain.manifest import EntryKind, ManifestEntry


class FilesRow(NamedTuple):
    file_id: str
    domain: str
    relative_path: str
    flags: object
    """As stored: normally 1, 2 or 4, but any value (or NULL) in a damaged or unusual manifest."""
    file: object
    """The MBFile blob, as stored (normally bytes), or the record of a Manifest.mbdb (see mbdb)."""

    @property
    def kind(self) -> EntryKind | None:
        return kind_of(self.flags, self.record(with_key=False).mode)

    def record(self, with_key: bool = True) -> FileRecord:
        """What the row's `file` says; never raises (see `decode_file_record`)."""
        if isinstance(self.file, bytes) and self.file.startswith(mbdb.MAGIC):
            return mbdb.decode_record(self.file, with_key)
        return decode_file_record(self.file, with_key)

    def entry(self) -> ManifestEntry:
        return listed_entry(self.file_id, self.domain, self.relative_path, self.flags, self.file)


def listed_entry(file_id: str, domain: str, relative_path: str, flags: object, file: object) -> ManifestEntry:
    """The entry of a Files row's columns, read straight from SQLite's row (no FilesRow on the way: a
    listing of every row builds hundreds of thousands)."""
    return entry_of(file_id, domain, relative_path, flags, listed_record(file))


def listed_record(file: object) -> FileRecord:
    """What a listing reads of a row's `file` (no encryption key)."""
    if isinstance(file, bytes) and file.startswith(mbdb.MAGIC):
        return mbdb.decode_record(file, False)
    return decode_file_record(file, False)


def entry_of(
    file_id: str, domain: str, relative_path: str, flags: object, record: FileRecord
) -> ManifestEntry:
    size, mode, modified_at, protection_class, link_target, _ = record
    kind = kind_of(flags, mode)
    return ManifestEntry(
        file_id,
        domain,
        relative_path,
        kind,
        size,
        mode,
        modified_at,
        protection_class,
        link_target if kind is EntryKind.SYMLINK else None,
    )
