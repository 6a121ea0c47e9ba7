"""A BackupVault over backups defined in memory, for unit tests. Same semantics as the real one:
SQLite LIKE on paths, code-point order, EntryNotFoundError for what has no content, SessionRequiredError
from a closed handle."""

import hashlib
import hmac
import re
from collections.abc import AsyncIterator, Collection, Iterable
from dataclasses import dataclass, field

from ios_backup_api.adapters.vault.ended import session_ended
from ios_backup_api.adapters.vault.payload import CHUNK_SIZE, check_range
from ios_backup_api.domain.errors import (
    BackupNotFoundError,
    EntryNotFoundError,
    InvalidQueryError,
    WrongPassphraseError,
)
from ios_backup_api.domain.manifest import (
    ByteRange,
    EntryKind,
    EntryRun,
    FileId,
    FilePage,
    FileQuery,
    ManifestEntry,
    is_below,
    is_direct_child,
)
from ios_backup_api.domain.views.pages import EntryRef

_MAX_LIKE_PATTERN_BYTES = 50_000  # SQLite's SQLITE_MAX_LIKE_PATTERN_LENGTH


@dataclass(frozen=True, slots=True)
class _Backup:
    backup_id: str
    passphrase: str | None
    entries: list[ManifestEntry]
    """Sorted by domain, relative path and file id, by code point."""
    contents: dict[str, bytes]
    version: int
    domains: list[str] = field(default_factory=list)

    @property
    def passphrase_key(self) -> bytes | None:
        if self.passphrase is None:
            return None
        secret = f"in-memory vault\0{self.backup_id}\0{self.passphrase}".encode()
        return hashlib.sha256(secret).digest()


class InMemoryBackupVault:
    def __init__(self) -> None:
        self._backups: dict[str, _Backup] = {}
        self._versions = 0

    def add_backup(
        self, backup_id: str, passphrase: str | None, entries: Iterable[tuple[ManifestEntry, bytes | None]]
    ) -> None:
        """Adds or replaces a backup; `passphrase` None makes it unencrypted. A regular file's content None
        plays a payload missing from the backup; the content of other kinds is ignored."""
        listed = sorted(entries, key=lambda pair: _order(pair[0]))
        self._versions += 1
        self._backups[backup_id] = _Backup(
            backup_id,
            passphrase,
            [entry for entry, _ in listed],
            {
                entry.file_id: data
                for entry, data in listed
                if data is not None and entry.kind is EntryKind.FILE
            },
            self._versions,
            sorted({entry.domain for entry, _ in listed}),
        )

    def remove_backup(self, backup_id: str) -> None:
        self._backups.pop(backup_id, None)

    def add_alias(self, alias: str, backup_id: str) -> None:
        """Another name of the same backup, as a symlinked folder is: it shares the backup's identity."""
        self._backups[alias] = self._backups[backup_id]

    async def identity(self, backup_id: str) -> str:
        return self._backup(backup_id).backup_id

    async def open(self, backup_id: str, passphrase: str | None) -> "InMemoryOpenBackup":
        backup = self._backup(backup_id)
        if backup.passphrase is not None and passphrase != backup.passphrase:
            raise WrongPassphraseError("The passphrase does not unlock this backup.")
        return InMemoryOpenBackup(backup)

    async def open_with_key(self, backup_id: str, passphrase_key: bytes | None) -> "InMemoryOpenBackup":
        backup = self._backup(backup_id)
        expected = backup.passphrase_key
        if expected is not None and (
            passphrase_key is None or not hmac.compare_digest(expected, passphrase_key)
        ):
            raise WrongPassphraseError("The key does not unlock this backup.")
        return InMemoryOpenBackup(backup)

    def _backup(self, backup_id: str) -> _Backup:
        backup = self._backups.get(backup_id)
        if backup is None:
            raise BackupNotFoundError(backup_id)
        return backup


class InMemoryOpenBackup:
    def __init__(self, backup: _Backup) -> None:
        self._backup: _Backup | None = backup
        self._passphrase_key = backup.passphrase_key
        self._version = f"{backup.backup_id}:{backup.version}"

    @property
    def passphrase_key(self) -> bytes | None:
        return self._passphrase_key

    @property
    def version(self) -> str:
        return self._version

    @property
    def is_open(self) -> bool:
        return self._backup is not None

    async def files(self, query: FileQuery) -> FilePage:
        backup = self._open_backup()
        matches = [entry for entry in backup.entries if _matches(entry, query)]
        return FilePage(
            matches[query.offset : query.offset + query.limit], len(matches), query.limit, query.offset
        )

    async def run(self, query: FileQuery) -> EntryRun:
        page = await self.files(query)
        return EntryRun(page.items, None, len(page.items), page.total)

    async def domains(self) -> list[str]:
        return list(self._open_backup().domains)

    async def locate(self, entries: Collection[EntryRef]) -> dict[EntryRef, FileId]:
        backup = self._open_backup()
        ids = {(entry.domain, entry.relative_path): entry.file_id for entry in backup.entries}
        wanted = ((entry, ids.get((entry.domain, entry.relative_path))) for entry in entries)
        return {entry: FileId(file_id) for entry, file_id in wanted if file_id is not None}

    async def content(self, file_id: FileId) -> "InMemoryFileContent":
        backup = self._open_backup()
        entry = next((entry for entry in backup.entries if entry.file_id == file_id.hex), None)
        data = backup.contents.get(file_id.hex)
        if entry is None or entry.kind is not EntryKind.FILE or data is None:
            raise EntryNotFoundError(f"No regular file with content has the id {file_id.hex}.")
        digest = hashlib.sha256(f"{backup.backup_id}:{backup.version}:{file_id.hex}".encode()).hexdigest()
        return InMemoryFileContent(entry.relative_path, data, f'"{digest[:32]}"', self)

    async def close(self) -> None:
        self._backup = None
        self._passphrase_key = None

    def _open_backup(self) -> _Backup:
        if self._backup is None:
            raise session_ended()
        return self._backup


class InMemoryFileContent:
    def __init__(self, relative_path: str, data: bytes, etag: str, handle: InMemoryOpenBackup) -> None:
        self.relative_path = relative_path
        self._data = data
        self._etag = etag
        self._handle = handle

    @property
    def length(self) -> int:
        return len(self._data)

    @property
    def etag(self) -> str:
        return self._etag

    def read(self, byte_range: ByteRange) -> AsyncIterator[bytes]:
        check_range(byte_range, self.length)
        return self._chunks(byte_range)

    async def _chunks(self, byte_range: ByteRange) -> AsyncIterator[bytes]:
        for start in range(byte_range.start, byte_range.stop, CHUNK_SIZE):
            if not self._handle.is_open:
                raise session_ended()
            yield self._data[start : min(start + CHUNK_SIZE, byte_range.stop)]


def _order(entry: ManifestEntry) -> tuple[str, str, str]:
    return entry.domain, entry.relative_path, entry.file_id


def _matches(entry: ManifestEntry, query: FileQuery) -> bool:
    if query.domain is not None and entry.domain != query.domain:
        return False
    if query.kind is not None and entry.kind is not query.kind:
        return False
    if query.parent is not None and not is_direct_child(entry.relative_path, query.parent):
        return False
    if query.under is not None and not is_below(entry.relative_path, query.under):
        return False
    return query.path_like is None or _like(query.path_like).fullmatch(entry.relative_path) is not None


def _like(pattern: str) -> re.Pattern[str]:
    """SQLite's LIKE without ESCAPE: `%` any run, `_` one character, ASCII letters case-insensitive."""
    if len(pattern.encode()) > _MAX_LIKE_PATTERN_BYTES:
        raise InvalidQueryError("path_like is too long.")
    pieces = re.split(r"(%+|_)", pattern)
    regex = "".join(
        ".*" if piece.startswith("%") else "." if piece == "_" else re.escape(piece) for piece in pieces
    )
    return re.compile(regex, re.ASCII | re.IGNORECASE | re.DOTALL)
