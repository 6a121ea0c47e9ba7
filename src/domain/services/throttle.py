from dataclasses import dataclass
from datetime import timedelta

from ios_backup_api.domain.errors import TooManyAttemptsError
from ios_backup_api.domain.ports.attempts import FailedAttemptLog
from ios_backup_api.domain.ports.clock import Clock


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """After `free_attempts` failures in a row, each further attempt waits twice as long, to `max_delay`."""

    free_attempts: int = 5
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=60)

    def delay_after(self, failures: int) -> timedelta:
        if failures < self.free_attempts:
            return timedelta(0)
        doublings = min(failures - self.free_attempts, 30)
        return min(self.first_delay * (1 << doublings), self.max_delay)


class FailedUnlockThrottle:
    """Slows passphrase guessing per backup; a success clears the record, so the owner is never locked out
    for longer than `max_delay`. The counts live in `log`: shared by instances when the log is."""

    def __init__(self, clock: Clock, log: FailedAttemptLog, policy: ThrottlePolicy | None = None) -> None:
        self._clock = clock
        self._log = log
        self._policy = policy or ThrottlePolicy()

    async def check(self, backup_id: str) -> None:
        failures = await self._log.get(backup_id)
        if failures is None:
            return
        wait_until = failures.last_at + self._policy.delay_after(failures.count)
        remaining = (wait_until - self._clock.now()).total_seconds()
        if remaining > 0:
            raise TooManyAttemptsError(max(1, int(remaining + 0.999)))

    async def failed(self, backup_id: str) -> None:
        await self._log.record_failure(backup_id, self._clock.now())

    async def succeeded(self, backup_id: str) -> None:
        await self._log.clear(backup_id)
