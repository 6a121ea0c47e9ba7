from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class UnlockAttempts:
    """Unlock attempts begun on one backup since its last success (each counted when it starts, so ones
    still deriving count too), and when the last of them began or failed, whichever is later."""

    count: int
    last_at: datetime


class UnlockAttemptLog(Protocol):
    """Unlock attempts per backup, keyed by the backup's identity. A log shared by several instances (and
    kept across restarts) lets none of them grant a guesser more attempts than one would."""

    async def get(self, key: str) -> UnlockAttempts | None: ...

    async def add_if(self, key: str, expected: int, at: datetime) -> UnlockAttempts | None:
        """Count one more attempt if exactly `expected` are counted now (0: the key has no record), with
        `last_at` the later of `at` and the one before; None when the count was not `expected`. Atomic: of
        any number of calls at once on one count, by any instances, exactly one is counted."""
        ...

    async def failed(self, key: str, at: datetime) -> None:
        """An attempt failed at `at`: `last_at` becomes the later of the two (the waits count from the last
        failure, not from when it began). Unknown keys are ignored."""
        ...

    async def take_back(self, key: str) -> None:
        """One attempt fewer (never below none): it ended before its passphrase was checked."""
        ...

    async def clear(self, key: str) -> None:
        """Forget the backup's attempts (after a right passphrase); unknown keys are ignored."""
        ...
