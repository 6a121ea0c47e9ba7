from collections.abc import AsyncIterator, Collection
from typing import Protocol

from ios_backup_api.domain.manifest import ByteRange, EntryRun, FileId, FilePage, FileQuery
from ios_backup_api.domain.views.pages import EntryRef


class FileContent(Protocol):
    """A regular file's plaintext, readable at any offset without decrypting what precedes it."""

    @property
    def relative_path(self) -> str:
        """The manifest's relative path of the file (the HTTP layer names the download after it)."""
        ...

    @property
    def length(self) -> int:
        """The true plaintext length (from the padding for encrypted payloads)."""
        ...

    @property
    def etag(self) -> str:
        """Changes whenever the payload changes; reveals nothing of the plaintext."""
        ...

    def read(self, byte_range: ByteRange) -> AsyncIterator[bytes]:
        """The plaintext of `byte_range` in bounded chunks; memory does not grow with the range's size.

        Raises `CorruptBackupError` when the payload turns out damaged or shorter than its length.
        """
        ...


class OpenBackup(Protocol):
    """One unlocked backup: its manifest (shared by every session of the backup) and its payloads' keys."""

    @property
    def passphrase_key(self) -> bytes | None:
        """The key the class keys unwrap from (None for an unencrypted backup)."""
        ...

    @property
    def version(self) -> str:
        """Names what the backup holds: the same for every handle of an unchanged backup, another once it is
        rewritten (what a cache of its contents is keyed by)."""
        ...

    async def files(self, query: FileQuery) -> FilePage: ...

    async def run(self, query: FileQuery) -> EntryRun:
        """The page `files` would answer, for a listing of every match: as JSON lines where the manifest's
        reader writes them (see `EntryRun`)."""
        ...

    async def domains(self) -> list[str]:
        """Distinct domains, sorted by code point."""
        ...

    async def locate(self, entries: Collection[EntryRef]) -> dict[EntryRef, FileId]:
        """The ids of those of `entries` the manifest lists (of any kind), by exact domain and relative
        path; an entry it does not list is left out."""
        ...

    async def content(self, file_id: FileId) -> FileContent:
        """Raises `EntryNotFoundError` when `file_id` is unknown, not a regular file, or has no payload."""
        ...

    async def close(self) -> None:
        """Forget this handle's keys; the shared manifest is dropped with the last handle of its backup."""
        ...


class BackupVault(Protocol):
    """Unlocks backups by id. Key derivation runs off the event loop, a bounded number at once."""

    async def identity(self, backup_id: str) -> str:
        """What the backup is, whatever it is called: the same for every id that names the same backup
        (a symlinked alias of its folder), and for every instance serving the same base path. Raises
        `BackupNotFoundError`."""
        ...

    async def open(self, backup_id: str, passphrase: str | None) -> OpenBackup:
        """Unlock with a passphrase (None or anything for an unencrypted backup).

        Raises `WrongPassphraseError`, `BackupNotFoundError` (no such folder), `CorruptBackupError`.
        """
        ...

    async def open_with_key(self, backup_id: str, passphrase_key: bytes | None) -> OpenBackup:
        """Unlock with a key from an earlier `open`, without key derivation. Raises as `open` does."""
        ...
