from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.ports.vault import OpenBackup


@dataclass(slots=True)
class Session:
    """A live unlock of one backup. Only a hash of its token is kept."""

    token_hash: str
    backup_id: str
    expires_at: datetime
    opened: OpenBackup


class SessionStore(Protocol):
    """Live sessions by token hash."""

    async def add(self, session: Session) -> None: ...

    async def get(self, token_hash: str) -> Session | None: ...

    async def touch(self, token_hash: str, expires_at: datetime) -> None:
        """Move a session's expiry; unknown hashes are ignored."""
        ...

    async def pop(self, token_hash: str) -> Session | None:
        """Remove and return the session, or None if there was none."""
        ...

    async def pop_where(
        self, *, backup_ids: Collection[str] = (), expired_at: datetime | None = None
    ) -> list[Session]:
        """Remove and return the sessions of these backups, and those expired at `expired_at`."""
        ...
