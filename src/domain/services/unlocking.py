import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import (
    BackupNotFoundError,
    BackupUnreadableError,
    ForeignSessionError,
    SessionRequiredError,
    TooManyAttemptsError,
    WrongPassphraseError,
)
from domain.ports.catalog import BackupCatalog
from domain.ports.clock import Clock, TokenSource
from domain.ports.sessions import Session, SessionStore
from domain.ports.vault import BackupVault
from domain.services.throttle import FailedUnlockThrottle

# Sliding expiry is moved at most this often, so a busy session does not write on every request.
_TOUCH_GRANULARITY = timedelta(seconds=5)
MAX_PASSPHRASE_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class Unlocked:
    session_token: str
    ttl_seconds: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UnlockService:
    """Unlock sessions: issue on the right passphrase, resolve with the contract's 404/401/403 order, end."""

    def __init__(
        self,
        catalog: BackupCatalog,
        vault: BackupVault,
        sessions: SessionStore,
        clock: Clock,
        tokens: TokenSource,
        ttl: timedelta,
        throttle: FailedUnlockThrottle,
        max_unlocks_in_flight: int = 4,
    ) -> None:
        self._catalog = catalog
        self._vault = vault
        self._sessions = sessions
        self._clock = clock
        self._tokens = tokens
        self._ttl = ttl
        self._throttle = throttle
        self._max_unlocks_in_flight = max_unlocks_in_flight
        self._unlocks_in_flight = 0

    async def unlock(self, backup_id: str, passphrase: str | None) -> Unlocked:
        summary = await self._catalog.get(backup_id)
        if summary is None:
            raise BackupNotFoundError(backup_id)
        if not summary.is_ready:
            raise BackupUnreadableError(backup_id, summary.problem)
        if summary.is_encrypted and not passphrase:
            raise WrongPassphraseError("This backup is encrypted: send its passphrase as `password`.")
        if passphrase is not None and len(passphrase) > MAX_PASSPHRASE_LENGTH:
            raise WrongPassphraseError(f"A passphrase is at most {MAX_PASSPHRASE_LENGTH} characters long.")
        self._throttle.check(backup_id)
        if self._unlocks_in_flight >= self._max_unlocks_in_flight:
            # Key derivation is a second of CPU: excess requests are turned away at once, never queued.
            raise TooManyAttemptsError(1)
        self._unlocks_in_flight += 1
        try:
            opened = await self._vault.open(backup_id, passphrase)
        except WrongPassphraseError:
            self._throttle.failed(backup_id)
            raise
        finally:
            self._unlocks_in_flight -= 1
        self._throttle.succeeded(backup_id)
        token = self._tokens.new_token()
        expires_at = self._clock.now() + self._ttl
        await self._sessions.add(Session(token_hash(token), backup_id, expires_at, opened))
        return Unlocked(token, int(self._ttl.total_seconds()))

    async def resolve(self, backup_id: str, token: str | None) -> Session:
        """The live session of `token` for `backup_id`; keeps it alive for another idle lifetime."""
        session = await self._live_session(token)
        if session is not None and session.backup_id == backup_id:
            # A live session's backup is known: refresh ends the sessions of vanished backups.
            await self._keep_alive(session)
            return session
        await self._require_backup(backup_id)
        if session is None:
            raise SessionRequiredError("A live X-Backup-Session from POST /backups/{id}/unlock is required.")
        raise ForeignSessionError()

    async def lock(self, backup_id: str, token: str | None) -> None:
        """End the session; an unknown or expired token is a success."""
        if token is None:
            await self._require_backup(backup_id)
            raise SessionRequiredError("The X-Backup-Session header is required.")
        session = await self._live_session(token)
        if session is None or session.backup_id != backup_id:
            await self._require_backup(backup_id)
        if session is None:
            return
        if session.backup_id != backup_id:
            raise ForeignSessionError()
        ended = await self._sessions.pop(session.token_hash)
        if ended is not None:
            await ended.opened.close()

    async def end_sessions_of(self, backup_ids: Collection[str]) -> None:
        for session in await self._sessions.pop_where(backup_ids=backup_ids):
            await session.opened.close()

    async def backups_removed(self, backup_ids: Collection[str]) -> None:
        await self.end_sessions_of(backup_ids)

    async def end_expired(self) -> int:
        ended = await self._sessions.pop_where(expired_at=self._clock.now())
        for session in ended:
            await session.opened.close()
        return len(ended)

    async def end_all(self) -> None:
        """End every session (at shutdown), so no key outlives the process's service."""
        for session in await self._sessions.pop_where(expired_at=datetime.max.replace(tzinfo=UTC)):
            await session.opened.close()

    async def _live_session(self, token: str | None) -> Session | None:
        if token is None:
            return None
        session = await self._sessions.get(token_hash(token))
        if session is None:
            return None
        if self._expired(session):
            ended = await self._sessions.pop(session.token_hash)
            if ended is not None:
                await ended.opened.close()
            return None
        return session

    async def _keep_alive(self, session: Session) -> None:
        expires_at = self._clock.now() + self._ttl
        if expires_at - session.expires_at >= _TOUCH_GRANULARITY:
            await self._sessions.touch(session.token_hash, expires_at)

    async def _require_backup(self, backup_id: str) -> None:
        if await self._catalog.get(backup_id) is None:
            raise BackupNotFoundError(backup_id)

    def _expired(self, session: Session) -> bool:
        return session.expires_at <= self._clock.now()
