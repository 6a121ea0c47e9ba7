"""AppDatabases for unit tests: an entry's plaintext read whole through the handle and kept per backup,
with the real one's semantics (404 without the entry, 409 for what is no SQLite database or is too large,
one copy shared by every session of a backup, dropped by `forget`). It applies no WAL."""

from dataclasses import dataclass

from ios_backup_api.domain.errors import EntryNotFoundError, ViewNotFoundError, ViewUnreadableError
from ios_backup_api.domain.manifest import ByteRange
from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.views.pages import EntryRef


@dataclass(frozen=True, slots=True, eq=False)
class InMemoryAppDatabase:
    source: EntryRef
    plaintext: bytes


class InMemoryAppDatabases:
    def __init__(self, max_bytes: int = 1 << 30) -> None:
        self._max_bytes = max_bytes
        self._held: dict[tuple[str, EntryRef], InMemoryAppDatabase] = {}
        self.forgotten: list[str] = []

    async def database(self, backup_id: str, opened: OpenBackup, source: EntryRef) -> InMemoryAppDatabase:
        held = self._held.get((backup_id, source))
        if held is not None:
            return held
        ids = await opened.locate([source])
        if source not in ids:
            raise ViewNotFoundError(source.domain, source.relative_path)
        try:
            content = await opened.content(ids[source])
        except EntryNotFoundError:
            raise ViewNotFoundError(source.domain, source.relative_path) from None
        if content.length > self._max_bytes:
            raise ViewUnreadableError(f"{source.relative_path} is larger than the views may hold.")
        data = b"".join([chunk async for chunk in content.read(ByteRange(0, content.length))])
        if not data.startswith(b"SQLite format 3\x00"):
            raise ViewUnreadableError(f"{source.relative_path} is not an SQLite database.")
        held = self._held[(backup_id, source)] = InMemoryAppDatabase(source, data)
        return held

    async def forget(self, backup_id: str) -> None:
        self.forgotten.append(backup_id)
        for key in [key for key in self._held if key[0] == backup_id]:
            del self._held[key]
