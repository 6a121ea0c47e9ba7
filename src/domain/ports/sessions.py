from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What outlives a request, and may outlive the process: never a usable secret.

    `sealed_key` is the backup's passphrase key sealed under a key derived from the session token
    (None for an unencrypted backup); only a request carrying the token can open it.
    """

    token_hash: str
    backup_id: str
    expires_at: datetime
    sealed_key: bytes | None


class SessionStore(Protocol):
    """Live sessions by token hash; a store shared by several instances lets any of them serve a session."""

    async def add(self, record: SessionRecord) -> None: ...

    async def get(self, token_hash: str) -> SessionRecord | None: ...

    async def touch(self, token_hash: str, expires_at: datetime) -> None:
        """Move a session's expiry later, never earlier (instances renewing at once may race); unknown
        hashes are ignored."""
        ...

    async def pop(self, token_hash: str) -> SessionRecord | None:
        """Remove and return the session, or None if there was none."""
        ...

    async def count_live(self, now: datetime, backup_id: str | None = None) -> int:
        """Sessions not expired at `now`, of one backup or of all."""
        ...

    async def pop_where(
        self, *, backup_ids: Collection[str] = (), expired_at: datetime | None = None
    ) -> list[SessionRecord]:
        """Remove and return the sessions of these backups, and those expired at `expired_at`."""
        ...


class KeySealer(Protocol):
    """Seals a backup's key under its session token, so the stored record alone never yields the key."""

    def seal(self, key: bytes, token: str) -> bytes: ...

    def unseal(self, sealed: bytes, token: str) -> bytes:
        """Raises `SessionRequiredError` when `sealed` was not sealed under `token` or was tampered with."""
        ...
