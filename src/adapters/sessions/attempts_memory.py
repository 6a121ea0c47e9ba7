from datetime import datetime

from ios_backup_api.domain.ports.attempts import UnlockAttempts


class InMemoryUnlockAttemptLog:
    """Unlock attempts in this process's memory: they end with it, and other instances can't see them.
    Each method runs without awaiting, so no other task can come between its read and its write."""

    def __init__(self) -> None:
        self._attempts: dict[str, UnlockAttempts] = {}

    async def get(self, key: str) -> UnlockAttempts | None:
        return self._attempts.get(key)

    async def add_if(self, key: str, expected: int, at: datetime) -> UnlockAttempts | None:
        previous = self._attempts.get(key)
        if (0 if previous is None else previous.count) != expected:
            return None
        counted = (
            UnlockAttempts(1, at)
            if previous is None
            else UnlockAttempts(expected + 1, max(previous.last_at, at))
        )
        self._attempts[key] = counted
        return counted

    async def failed(self, key: str, at: datetime) -> None:
        previous = self._attempts.get(key)
        if previous is not None:
            self._attempts[key] = UnlockAttempts(previous.count, max(previous.last_at, at))

    async def take_back(self, key: str) -> None:
        previous = self._attempts.get(key)
        if previous is not None and previous.count > 0:
            self._attempts[key] = UnlockAttempts(previous.count - 1, previous.last_at)

    async def clear(self, key: str) -> None:
        self._attempts.pop(key, None)
