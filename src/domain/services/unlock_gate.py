import asyncio
from dataclasses import dataclass, field

from ios_backup_api.domain.errors import UnlockBusyError, WrongPassphraseError
from ios_backup_api.domain.ports.vault import BackupVault, OpenBackup
from ios_backup_api.domain.services.throttle import UnlockThrottle


@dataclass
class _Lane:
    """The unlocks of one backup: `held` of them wait or run, one at a time in the order they came."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    held: int = 0


class UnlockGate:
    """Admits unlocks, which derive a key from a passphrase (about a second of CPU each).

    Fair to every backup: each backup's unlocks take turns in a lane of their own (at most
    `max_waiting_per_backup` in it; more are refused at once with `UnlockBusyError`), and the lanes share
    `max_derivations` slots, given in the order asked. So whoever floods one backup holds at most one slot,
    and an unlock of another backup waits its turn but is never refused. A backup is known by its vault
    identity, the same for each of its names, and its throttle counts an attempt before it queues.

    A derivation keeps its slot until it ends, even when the request that started it went away meanwhile
    (its handle is then closed); an unlock whose request goes away while it still waits leaves the queue
    and its attempt is taken back.
    """

    def __init__(
        self, vault: BackupVault, throttle: UnlockThrottle, max_derivations: int, max_waiting_per_backup: int
    ) -> None:
        if max_derivations < 1 or max_waiting_per_backup < 1:
            raise ValueError(f"limits must be at least 1, got {max_derivations}, {max_waiting_per_backup}")
        self._vault = vault
        self._throttle = throttle
        self._slots = asyncio.Semaphore(max_derivations)
        self._max_waiting = max_waiting_per_backup
        self._lanes: dict[str, _Lane] = {}
        self._closing: set[asyncio.Task[None]] = set()

    async def open(self, backup_id: str, passphrase: str | None) -> OpenBackup:
        key = await self._vault.identity(backup_id)
        lane = self._lanes.setdefault(key, _Lane())
        if lane.held >= self._max_waiting:
            raise UnlockBusyError(
                f"{lane.held} unlocks of this backup are already waiting or running, the most allowed; "
                "retry in 1 s."
            )
        lane.held += 1
        try:
            await self._throttle.begin(key)
        except BaseException:
            self._leave(key, lane)
            raise
        deriving = asyncio.Event()
        attempt = asyncio.ensure_future(self._attempt(key, lane, deriving, backup_id, passphrase))
        attempt.add_done_callback(lambda done: self._finished(key, lane, done))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            if not deriving.is_set():
                attempt.cancel()
            attempt.add_done_callback(self._close_abandoned)
            raise

    async def _attempt(
        self, key: str, lane: _Lane, deriving: asyncio.Event, backup_id: str, passphrase: str | None
    ) -> OpenBackup:
        try:
            async with lane.turn, self._slots:
                deriving.set()
                opened = await self._vault.open(backup_id, passphrase)
        except WrongPassphraseError:
            await asyncio.shield(self._throttle.failed(key))  # counted as it began; the wait starts now
            raise
        except BaseException:
            await asyncio.shield(self._throttle.unchecked(key))
            raise
        try:
            await self._throttle.succeeded(key)
        except BaseException:  # the attempt log is away: nobody gets this handle, so its keys go now
            await opened.close()
            raise
        return opened

    def _finished(self, key: str, lane: _Lane, attempt: "asyncio.Future[OpenBackup]") -> None:
        self._leave(key, lane)
        if not attempt.cancelled():
            attempt.exception()  # retrieved: an abandoned attempt's failure is not reported as unhandled

    def _leave(self, key: str, lane: _Lane) -> None:
        lane.held -= 1
        if lane.held == 0 and self._lanes.get(key) is lane:
            del self._lanes[key]

    def _close_abandoned(self, attempt: "asyncio.Future[OpenBackup]") -> None:
        if not attempt.cancelled() and attempt.exception() is None:
            closing = asyncio.ensure_future(attempt.result().close())
            self._closing.add(closing)
            closing.add_done_callback(self._closed)

    def _closed(self, closing: "asyncio.Task[None]") -> None:
        self._closing.discard(closing)
        if not closing.cancelled():
            closing.exception()  # retrieved: a failing close is not reported as unhandled
