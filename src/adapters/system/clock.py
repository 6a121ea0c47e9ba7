import secrets
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SecretsTokenSource:
    def new_token(self) -> str:
        return secrets.token_urlsafe(32)  # 256 bits
