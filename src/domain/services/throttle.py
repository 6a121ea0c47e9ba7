from dataclasses import dataclass
from datetime import timedelta

from ios_backup_api.domain.errors import TooManyAttemptsError, UnlockBusyError
from ios_backup_api.domain.ports.attempts import UnlockAttemptLog
from ios_backup_api.domain.ports.clock import Clock

_RACES = 16
"""Tries at counting an attempt while other instances or tasks count theirs on the same backup."""


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """After `free_attempts` attempts without success, each further one waits twice as long, to
    `max_delay`."""

    free_attempts: int = 5
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=60)

    def delay_after(self, attempts: int) -> timedelta:
        if attempts < self.free_attempts:
            return timedelta(0)
        doublings = min(attempts - self.free_attempts, 30)
        return min(self.first_delay * (1 << doublings), self.max_delay)


class UnlockThrottle:
    """Slows passphrase guessing per backup. An attempt is counted as it begins, so attempts made at once
    can't all pass before the first of them fails: whatever the concurrency, no more than `free_attempts`
    derive a key before the waits start. A success clears the count, so the owner is never locked out for
    longer than `max_delay`. The counts live in `log`: shared by instances when the log is."""

    def __init__(self, clock: Clock, log: UnlockAttemptLog, policy: ThrottlePolicy | None = None) -> None:
        self._clock = clock
        self._log = log
        self._policy = policy or ThrottlePolicy()

    async def begin(self, key: str) -> None:
        """Count an attempt on `key`, or raise `TooManyAttemptsError` with the wait before the next."""
        for _ in range(_RACES):
            counted = await self._log.get(key)
            now = self._clock.now()
            if counted is not None:
                remaining = (counted.last_at + self._policy.delay_after(counted.count) - now).total_seconds()
                if remaining > 0:
                    raise TooManyAttemptsError(counted.count, max(1, int(remaining + 0.999)))
            if await self._log.add_if(key, 0 if counted is None else counted.count, now) is not None:
                return
        raise UnlockBusyError(
            "Other unlocks of this backup were being counted at the same moment; retry in 1 s."
        )

    async def failed(self, key: str) -> None:
        """The attempt's passphrase was wrong: the next wait counts from now."""
        await self._log.failed(key, self._clock.now())

    async def unchecked(self, key: str) -> None:
        """The attempt ended before its passphrase was checked (a damaged folder, a request gone away in
        the queue): it no longer counts."""
        await self._log.take_back(key)

    async def succeeded(self, key: str) -> None:
        await self._log.clear(key)
