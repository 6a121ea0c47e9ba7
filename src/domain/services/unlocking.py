import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from ios_backup_api.domain.errors import (
    BackupNotFoundError,
    BackupUnreadableError,
    ForeignSessionError,
    SessionRequiredError,
    TooManyAttemptsError,
    WrongPassphraseError,
)
from ios_backup_api.domain.ports.catalog import BackupCatalog
from ios_backup_api.domain.ports.clock import Clock, TokenSource
from ios_backup_api.domain.ports.sessions import KeySealer, SessionRecord, SessionStore
from ios_backup_api.domain.ports.vault import BackupVault, OpenBackup
from ios_backup_api.domain.services.throttle import FailedUnlockThrottle

MAX_PASSPHRASE_LENGTH = 1024
_NO_SESSION = "A live X-Backup-Session from POST /backups/{id}/unlock is required."


@dataclass(frozen=True, slots=True)
class Unlocked:
    session_token: str
    ttl_seconds: int


@dataclass(frozen=True, slots=True)
class Session:
    """A live session as one request sees it: the record, and this instance's handle on the backup."""

    record: SessionRecord
    opened: OpenBackup

    @property
    def backup_id(self) -> str:
        return self.record.backup_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UnlockService:
    """Unlock sessions: issue on the right passphrase, resolve with the contract's 404/401/403 order, end.

    Records live in the session store; each instance keeps its own handles on the unlocked backups and
    reopens one from a record (with the request's token, without key derivation) when it meets a session
    another instance, or an earlier run, created.
    """

    def __init__(
        self,
        catalog: BackupCatalog,
        vault: BackupVault,
        sessions: SessionStore,
        sealer: KeySealer,
        clock: Clock,
        tokens: TokenSource,
        ttl: timedelta,
        throttle: FailedUnlockThrottle,
        max_unlocks_in_flight: int = 4,
    ) -> None:
        self._catalog = catalog
        self._vault = vault
        self._sessions = sessions
        self._sealer = sealer
        self._clock = clock
        self._tokens = tokens
        self._ttl = ttl
        # Sliding expiry is written at most this often, so a busy session does not write on every request.
        self._touch_granularity = min(ttl / 10, timedelta(seconds=60))
        self._throttle = throttle
        self._max_unlocks_in_flight = max_unlocks_in_flight
        self._unlocks_in_flight = 0
        self._handles: dict[str, tuple[str, OpenBackup]] = {}

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
        opened = await self._open(backup_id, passphrase)
        token = self._tokens.new_token()
        key = opened.passphrase_key
        record = SessionRecord(
            token_hash(token),
            backup_id,
            self._clock.now() + self._ttl,
            None if key is None else self._sealer.seal(key, token),
        )
        try:
            await self._sessions.add(record)
        except BaseException:
            await opened.close()
            raise
        self._handles[record.token_hash] = (backup_id, opened)
        return Unlocked(token, int(self._ttl.total_seconds()))

    async def resolve(self, backup_id: str, token: str | None) -> Session:
        """The live session of `token` for `backup_id`; keeps it alive for another idle lifetime."""
        record = await self._live_record(token)
        if token is not None and record is not None and record.backup_id == backup_id:
            # A live session's backup is known: refresh ends the sessions of vanished backups.
            opened = await self._handle(record, token)
            await self._keep_alive(record)
            return Session(record, opened)
        await self._require_backup(backup_id)
        if record is None:
            raise SessionRequiredError(_NO_SESSION)
        raise ForeignSessionError()

    async def lock(self, backup_id: str, token: str | None) -> None:
        """End the session; an unknown or expired token is a success."""
        if token is None:
            await self._require_backup(backup_id)
            raise SessionRequiredError("The X-Backup-Session header is required.")
        record = await self._live_record(token)
        if record is None or record.backup_id != backup_id:
            await self._require_backup(backup_id)
        if record is None:
            return
        if record.backup_id != backup_id:
            raise ForeignSessionError()
        await self._sessions.pop(record.token_hash)
        await self._forget(record.token_hash)

    async def backups_removed(self, backup_ids: Collection[str]) -> None:
        await self._sessions.pop_where(backup_ids=backup_ids)
        wanted = set(backup_ids)
        for hash_, (owner, _) in list(self._handles.items()):
            if owner in wanted:
                await self._forget(hash_)

    async def end_expired(self) -> int:
        """End expired sessions, and drop this instance's handles of sessions ended elsewhere."""
        ended = await self._sessions.pop_where(expired_at=self._clock.now())
        for record in ended:
            await self._forget(record.token_hash)
        for hash_ in list(self._handles):
            if await self._sessions.get(hash_) is None:
                await self._forget(hash_)
        return len(ended)

    async def end_all(self) -> None:
        """Drop every handle this instance holds (at shutdown); records in a shared store live on."""
        for hash_ in list(self._handles):
            await self._forget(hash_)

    async def _open(self, backup_id: str, passphrase: str | None) -> OpenBackup:
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
        return opened

    async def _handle(self, record: SessionRecord, token: str) -> OpenBackup:
        held = self._handles.get(record.token_hash)
        if held is not None:
            return held[1]
        key = None if record.sealed_key is None else self._sealer.unseal(record.sealed_key, token)
        try:
            opened = await self._vault.open_with_key(record.backup_id, key)
        except WrongPassphraseError:
            # The backup was rewritten under another passphrase since the unlock: the session is over.
            await self._sessions.pop(record.token_hash)
            raise SessionRequiredError(_NO_SESSION) from None
        racing = self._handles.get(record.token_hash)
        if racing is not None:  # another request of this session reopened it meanwhile
            await opened.close()
            return racing[1]
        self._handles[record.token_hash] = (record.backup_id, opened)
        return opened

    async def _live_record(self, token: str | None) -> SessionRecord | None:
        if token is None:
            return None
        hash_ = token_hash(token)
        record = await self._sessions.get(hash_)
        if record is None or record.expires_at <= self._clock.now():
            if record is not None:
                await self._sessions.pop(hash_)
            await self._forget(hash_)
            return None
        return record

    async def _keep_alive(self, record: SessionRecord) -> None:
        expires_at = self._clock.now() + self._ttl
        if expires_at - record.expires_at >= self._touch_granularity:
            await self._sessions.touch(record.token_hash, expires_at)

    async def _forget(self, hash_: str) -> None:
        held = self._handles.pop(hash_, None)
        if held is not None:
            await held[1].close()

    async def _require_backup(self, backup_id: str) -> None:
        if await self._catalog.get(backup_id) is None:
            raise BackupNotFoundError(backup_id)
