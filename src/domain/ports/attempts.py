from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class FailedAttempts:
    """Wrong passphrases given for one backup in a row, and when the last of them was given."""

    count: int
    last_at: datetime


class FailedAttemptLog(Protocol):
    """Failed unlock attempts per backup. A log shared by several instances (and kept across restarts)
    lets none of them grant a guesser more attempts than one would."""

    async def get(self, backup_id: str) -> FailedAttempts | None: ...

    async def record_failure(self, backup_id: str, at: datetime) -> FailedAttempts:
        """Add one failure, atomically: two instances recording at once count two. Returns the new count,
        with `last_at` the later of `at` and the one recorded before."""
        ...

    async def clear(self, backup_id: str) -> None:
        """Forget the backup's failures (after a right passphrase); unknown ids are ignored."""
        ...
