from collections.abc import Collection

from ios_backup_api.domain.errors import (
    BackupNotFoundError,
    BackupUnreadableError,
    ForeignSessionError,
    SessionRequiredError,
    TooManySessionsError,
    WrongPassphraseError,
)
from ios_backup_api.domain.ports.catalog import BackupCatalog
from ios_backup_api.domain.ports.sessions import KeySealer, SessionRecord, SessionStore
from ios_backup_api.domain.ports.tokens import TokenSource
from ios_backup_api.domain.services.open_handles import OpenHandles
from ios_backup_api.domain.services.unlock_gate import UnlockGate
from ios_backup_api.domain.sessions import (
    MAX_PASSPHRASE_LENGTH,
    Session,
    SessionLifetime,
    SessionLimits,
    Unlocked,
    token_hash,
)

_NO_SESSION = "No live unlock session: unlock the backup first."
_RETRY_SECONDS = 60  # a session frees when locked or expired: nobody knows when


class SessionLifecycle:
    """Unlock sessions: issued on the right passphrase, resolved in the contract's order (no such backup,
    then no live session, then another backup's session), kept alive by use, ended by lock, expiry or the
    backup's removal. Records live in the session store; the keys only in this instance's open handles."""

    def __init__(
        self,
        catalog: BackupCatalog,
        store: SessionStore,
        gate: UnlockGate,
        handles: OpenHandles,
        sealer: KeySealer,
        tokens: TokenSource,
        lifetime: SessionLifetime,
        limits: SessionLimits,
    ) -> None:
        self._catalog = catalog
        self._store = store
        self._gate = gate
        self._handles = handles
        self._sealer = sealer
        self._tokens = tokens
        self._lifetime = lifetime
        self._limits = limits

    async def unlock(self, backup_id: str, passphrase: str | None) -> Unlocked:
        summary = await self._catalog.get(backup_id)
        if summary is None:
            raise BackupNotFoundError(backup_id)
        if not summary.is_ready:
            raise BackupUnreadableError(backup_id, summary.problem)
        if summary.is_encrypted and not passphrase:
            raise WrongPassphraseError("This backup is encrypted: its passphrase is required.")
        if passphrase is not None and len(passphrase) > MAX_PASSPHRASE_LENGTH:
            raise WrongPassphraseError(f"A passphrase is at most {MAX_PASSPHRASE_LENGTH} characters long.")
        await self._check_room(backup_id)
        opened = await self._gate.open(backup_id, passphrase)
        token = self._tokens.new_token()
        key = opened.passphrase_key
        record = SessionRecord(
            token_hash(token),
            backup_id,
            self._lifetime.new_expiry(),
            None if key is None else self._sealer.seal(key, token),
        )
        try:
            await self._store.add(record)
        except BaseException:
            await opened.close()
            raise
        self._handles.add(record, opened)
        return Unlocked(token, self._lifetime.ttl_seconds)

    async def resolve(self, backup_id: str, token: str | None) -> Session:
        """The live session of `token` for `backup_id`; keeps it alive for another idle lifetime."""
        record = await self._live_record(token)
        if token is not None and record is not None and record.backup_id == backup_id:
            # A live session's backup is known: refresh ends the sessions of vanished backups.
            try:
                opened = await self._handles.of(record, token)
            except WrongPassphraseError:
                # The backup was rewritten under another passphrase since the unlock: the session is over.
                await self._store.pop(record.token_hash)
                raise SessionRequiredError(_NO_SESSION) from None
            renewal = self._lifetime.renewal(record)
            if renewal is not None:
                await self._store.touch(record.token_hash, renewal)
            return Session(record, opened)
        await self._require_backup(backup_id)
        if record is None:
            raise SessionRequiredError(_NO_SESSION)
        raise ForeignSessionError()

    async def lock(self, backup_id: str, token: str | None) -> None:
        """End the session; an unknown or expired token is a success."""
        if token is None:
            await self._require_backup(backup_id)
            raise SessionRequiredError("A session token is required to end a session.")
        record = await self._live_record(token)
        if record is None or record.backup_id != backup_id:
            await self._require_backup(backup_id)
        if record is None:
            return
        if record.backup_id != backup_id:
            raise ForeignSessionError()
        await self._store.pop(record.token_hash)
        await self._handles.forget(record.token_hash)

    async def backups_removed(self, backup_ids: Collection[str]) -> None:
        await self._store.pop_where(backup_ids=backup_ids)
        await self._handles.forget_backups(backup_ids)

    async def end_expired(self) -> int:
        """End expired sessions, and drop this instance's handles of sessions ended elsewhere."""
        ended = await self._store.pop_where(expired_at=self._lifetime.now())
        for record in ended:
            await self._handles.forget(record.token_hash)
        for hash_ in self._handles.held():
            if await self._store.get(hash_) is None:
                await self._handles.forget(hash_)
        return len(ended)

    async def end_all(self) -> None:
        """Drop every handle this instance holds (at shutdown); records in a shared store live on."""
        await self._handles.forget_all()

    async def _check_room(self, backup_id: str) -> None:
        """Before any key derivation. Unlocks racing past it at once can each get in: at most as many as
        the gate lets derive at once."""
        now = self._lifetime.now()
        limits = self._limits
        if await self._store.count_live(now, backup_id) >= limits.max_live_per_backup:
            raise TooManySessionsError("This backup has", limits.max_live_per_backup, _RETRY_SECONDS)
        if await self._store.count_live(now) >= limits.max_live:
            raise TooManySessionsError("The service has", limits.max_live, _RETRY_SECONDS)

    async def _live_record(self, token: str | None) -> SessionRecord | None:
        if token is None:
            return None
        hash_ = token_hash(token)
        record = await self._store.get(hash_)
        if record is None or self._lifetime.is_over(record):
            if record is not None:
                await self._store.pop(hash_)
            await self._handles.forget(hash_)
            return None
        return record

    async def _require_backup(self, backup_id: str) -> None:
        if await self._catalog.get(backup_id) is None:
            raise BackupNotFoundError(backup_id)
