"""One unlocked backup: the shared manifest, the keybag, and the folder its payloads are in."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from ios_backup_api.adapters.backup_folder.file_work import FolderLane
from ios_backup_api.adapters.backup_folder.opening import FolderHandle
from ios_backup_api.adapters.vault.ended import session_ended
from ios_backup_api.adapters.vault.folder_answers import answered
from ios_backup_api.adapters.vault.keybag import UnlockedKeybag
from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase
from ios_backup_api.adapters.vault.payload import Reading, open_content
from ios_backup_api.domain.errors import EntryNotFoundError
from ios_backup_api.domain.manifest import EntryKind, EntryRun, FileId, FilePage, FileQuery, is_file_id
from ios_backup_api.domain.ports.vault import FileContent
from ios_backup_api.domain.views.pages import EntryRef

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PlainManifest:
    """How the backup's manifest file is written out in plain: `write(keys, descriptor)` (blocking, its
    length), allowed `allow_seconds` in the folder's lane."""

    write: Callable[[UnlockedKeybag | None, int], int]
    allow_seconds: float


class IosOpenBackup:
    """After `close()` every method raises `SessionRequiredError` (the session ended), and so do reads of
    contents opened through this handle that were still streaming."""

    def __init__(
        self,
        folder: FolderHandle,
        manifest: ManifestDatabase,
        keys: UnlockedKeybag | None,
        release: Callable[[], Awaitable[None]],
        lane: FolderLane,
        plain_manifest: PlainManifest,
        version: str,
    ) -> None:
        self._folder = folder
        self._plain_manifest = plain_manifest
        self._version = version
        self._reading = Reading(lane, lambda: self.is_open)
        self._manifest = manifest
        self._keys = keys
        self._release: Callable[[], Awaitable[None]] | None = release

    @property
    def passphrase_key(self) -> bytes | None:
        return None if self._keys is None else self._keys.passphrase_key

    @property
    def version(self) -> str:
        return self._version

    @property
    def is_open(self) -> bool:
        return self._release is not None

    async def files(self, query: FileQuery) -> FilePage:
        self._require_open()
        return await self._query(partial(self._manifest.files, query))

    async def run(self, query: FileQuery) -> EntryRun:
        self._require_open()
        return await self._query(partial(self._manifest.run, query))

    async def domains(self) -> list[str]:
        self._require_open()
        await self._prepared()
        return self._manifest.domains

    async def locate(self, entries: Collection[EntryRef]) -> dict[EntryRef, FileId]:
        self._require_open()
        wanted = {(entry.domain, entry.relative_path): entry for entry in entries}
        found = await self._query(partial(self._manifest.located, list(wanted)))
        return {wanted[pair]: FileId(file_id) for pair, file_id in found.items() if is_file_id(file_id)}

    async def content(self, file_id: FileId) -> FileContent:
        self._require_open()
        row = await self._query(partial(self._manifest.row, file_id.hex))
        if row is None or row.kind is not EntryKind.FILE:
            raise EntryNotFoundError(f"No regular file has the id {file_id.hex}.")
        flat = self._manifest.flat_payloads
        opening = partial(open_content, self._folder, row, self._keys, self._reading, flat)
        return await answered(self._reading.lane, opening)

    @property
    def flat_payloads(self) -> bool:
        """Its payloads are `<fileID>` at the folder's root (Manifest.mbdb), not `<fileID[:2]>/<fileID>`."""
        return self._manifest.flat_payloads

    async def write_plain_manifest(self, target: int) -> int:
        """Writes the manifest file's plaintext to the descriptor `target`, read afresh from the folder
        (Manifest.db decrypted, its bytes otherwise as the device wrote them; a Manifest.mbdb as it is): the
        decrypted copy a user asked for. Its length. Raises `CorruptBackupError`."""
        self._require_open()
        plain = self._plain_manifest
        work = partial(plain.write, self._keys, target)
        return await answered(self._reading.lane, work, plain.allow_seconds)

    async def close(self) -> None:
        """Idempotent. Drops the class keys and this handle's hold on the shared manifest."""
        release, self._release = self._release, None
        if release is None:
            return
        if self._keys is not None:
            self._keys.forget()
            self._keys = None
        await release()

    async def _query(self, query: Callable[[], T]) -> T:
        """A query of a manifest held in memory runs on a worker thread. One read page by page from the
        backup's file may read that file: it runs in the folder's lane, so a folder that stops answering (a
        hung disk or network mount) costs its own backup a few threads and a `CorruptBackupError` after the
        lane's deadline, never the threads every other backup needs. The order index is awaited first, off
        any thread: it may take longer than that deadline on a healthy disk."""
        if not self._manifest.paged:
            return await asyncio.to_thread(query)
        await self._prepared()
        return await answered(self._reading.lane, query)

    async def _prepared(self) -> None:
        if self._manifest.prepared:
            return
        loop, ready = asyncio.get_running_loop(), asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(ready.set)

        self._manifest.when_prepared(wake)
        await ready.wait()

    def _require_open(self) -> None:
        if self._release is None:
            raise session_ended()
