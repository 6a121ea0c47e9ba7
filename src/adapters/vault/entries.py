"""A Files row as the domain sees it."""

from typing import NamedTuple

from ios_backup_api.adapters.vault import mbdb
from ios_backup_api.adapters.vault.mbfile import FileRecord, decode_file_record
from ios_backup_api.domain.manifest import EntryKind, ManifestEntry

KIND_OF_FLAGS = {1: EntryKind.FILE, 2: EntryKind.DIRECTORY, 4: EntryKind.SYMLINK}
FLAGS_OF_KIND = {kind: flags for flags, kind in KIND_OF_FLAGS.items()}


class FilesRow(NamedTuple):
    file_id: str
    domain: str
    relative_path: str
    flags: int
    file: object
    """The MBFile blob, as stored (normally bytes), or the record of a Manifest.mbdb (see mbdb)."""

    @property
    def kind(self) -> EntryKind:
        return KIND_OF_FLAGS[self.flags]

    def record(self, with_key: bool = True) -> FileRecord:
        """What the row's `file` says; never raises (see `decode_file_record`)."""
        if isinstance(self.file, bytes) and self.file.startswith(mbdb.MAGIC):
            return mbdb.decode_record(self.file, with_key)
        return decode_file_record(self.file, with_key)

    def entry(self) -> ManifestEntry:
        record = self.record(with_key=False)
        return ManifestEntry(
            file_id=self.file_id,
            domain=self.domain,
            relative_path=self.relative_path,
            kind=self.kind,
            size=record.size,
            mode=record.mode,
            modified_at=record.modified_at,
            protection_class=record.protection_class,
            link_target=record.link_target if self.kind is EntryKind.SYMLINK else None,
        )
