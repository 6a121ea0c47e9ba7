from collections.abc import Collection
from datetime import datetime

from domain.ports.sessions import Session


class InMemorySessionStore:
    """Sessions in this process's memory: they end with it."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    async def add(self, session: Session) -> None:
        self._sessions[session.token_hash] = session

    async def get(self, token_hash: str) -> Session | None:
        return self._sessions.get(token_hash)

    async def touch(self, token_hash: str, expires_at: datetime) -> None:
        session = self._sessions.get(token_hash)
        if session is not None:
            session.expires_at = expires_at

    async def pop(self, token_hash: str) -> Session | None:
        return self._sessions.pop(token_hash, None)

    async def pop_where(
        self, *, backup_ids: Collection[str] = (), expired_at: datetime | None = None
    ) -> list[Session]:
        wanted = set(backup_ids)
        ended = [
            session
            for session in self._sessions.values()
            if session.backup_id in wanted or (expired_at is not None and session.expires_at <= expired_at)
        ]
        for session in ended:
            del self._sessions[session.token_hash]
        return ended
