from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class CountingTokenSource:
    def __init__(self) -> None:
        self.issued = 0

    def new_token(self) -> str:
        self.issued += 1
        return f"token-{self.issued:04d}"
