import asyncio

from ios_backup_api.domain.errors import TooManyAttemptsError, WrongPassphraseError
from ios_backup_api.domain.ports.vault import BackupVault, OpenBackup
from ios_backup_api.domain.services.throttle import FailedUnlockThrottle


class UnlockGate:
    """Admits the unlocks that derive a key from a passphrase (about a second of CPU each).

    One is refused while the backup's throttle says wait, and at once (never queued) while
    `max_derivations` run already. A derivation keeps its slot until it ends, even when the request that
    started it went away meanwhile (its handle is then closed), so the bound holds for the work itself.
    """

    def __init__(self, vault: BackupVault, throttle: FailedUnlockThrottle, max_derivations: int) -> None:
        if max_derivations < 1:
            raise ValueError(f"max_derivations must be at least 1, got {max_derivations}")
        self._vault = vault
        self._throttle = throttle
        self._max_derivations = max_derivations
        self._running = 0
        self._closing: set[asyncio.Task[None]] = set()

    async def open(self, backup_id: str, passphrase: str | None) -> OpenBackup:
        await self._throttle.check(backup_id)
        if self._running >= self._max_derivations:
            raise TooManyAttemptsError(1)
        self._running += 1
        attempt = asyncio.ensure_future(self._attempt(backup_id, passphrase))
        attempt.add_done_callback(self._finished)
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            attempt.add_done_callback(self._close_abandoned)
            raise

    async def _attempt(self, backup_id: str, passphrase: str | None) -> OpenBackup:
        try:
            opened = await self._vault.open(backup_id, passphrase)
        except WrongPassphraseError:
            await self._throttle.failed(backup_id)
            raise
        try:
            await self._throttle.succeeded(backup_id)
        except BaseException:  # the attempt log is away: nobody gets this handle, so its keys go now
            await opened.close()
            raise
        return opened

    def _finished(self, attempt: "asyncio.Future[OpenBackup]") -> None:
        self._running -= 1
        if not attempt.cancelled():
            attempt.exception()  # retrieved: an abandoned attempt's failure is not reported as unhandled

    def _close_abandoned(self, attempt: "asyncio.Future[OpenBackup]") -> None:
        if not attempt.cancelled() and attempt.exception() is None:
            closing = asyncio.ensure_future(attempt.result().close())
            self._closing.add(closing)
            closing.add_done_callback(self._closed)

    def _closed(self, closing: "asyncio.Task[None]") -> None:
        self._closing.discard(closing)
        if not closing.cancelled():
            closing.exception()  # retrieved: a failing close is not reported as unhandled
