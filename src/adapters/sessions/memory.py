from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from ios_backup_api.domain.ports.sessions import SessionRecord


class InMemorySessionStore:
    """Session records in this process's memory: they end with it, and other instances can't see them."""

    def __init__(self) -> None:
        self._records: dict[str, SessionRecord] = {}

    async def add(self, record: SessionRecord) -> None:
        self._records[record.token_hash] = record

    async def get(self, token_hash: str) -> SessionRecord | None:
        return self._records.get(token_hash)

    async def touch(self, token_hash: str, expires_at: datetime) -> None:
        record = self._records.get(token_hash)
        if record is not None and record.expires_at < expires_at:
            self._records[token_hash] = replace(record, expires_at=expires_at)

    async def pop(self, token_hash: str) -> SessionRecord | None:
        return self._records.pop(token_hash, None)

    async def count_live(self, now: datetime, backup_id: str | None = None) -> int:
        return sum(
            1
            for record in self._records.values()
            if record.expires_at > now and (backup_id is None or record.backup_id == backup_id)
        )

    async def pop_where(
        self, *, backup_ids: Collection[str] = (), expired_at: datetime | None = None
    ) -> list[SessionRecord]:
        wanted = set(backup_ids)
        ended = [
            record
            for record in self._records.values()
            if record.backup_id in wanted or (expired_at is not None and record.expires_at <= expired_at)
        ]
        for record in ended:
            del self._records[record.token_hash]
        return ended
