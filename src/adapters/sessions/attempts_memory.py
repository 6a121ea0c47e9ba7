from datetime import datetime

from ios_backup_api.domain.ports.attempts import FailedAttempts


class InMemoryFailedAttemptLog:
    """Failed unlock attempts in this process's memory: they end with it, and other instances can't see
    them."""

    def __init__(self) -> None:
        self._attempts: dict[str, FailedAttempts] = {}

    async def get(self, backup_id: str) -> FailedAttempts | None:
        return self._attempts.get(backup_id)

    async def record_failure(self, backup_id: str, at: datetime) -> FailedAttempts:
        previous = self._attempts.get(backup_id)
        if previous is None:
            recorded = FailedAttempts(1, at)
        else:
            recorded = FailedAttempts(previous.count + 1, max(previous.last_at, at))
        self._attempts[backup_id] = recorded
        return recorded

    async def clear(self, backup_id: str) -> None:
        self._attempts.pop(backup_id, None)
