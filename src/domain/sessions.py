"""What a client holds after an unlock, and what one request sees of its session."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from ios_backup_api.domain.ports.clock import Clock
from ios_backup_api.domain.ports.sessions import SessionRecord
from ios_backup_api.domain.ports.vault import OpenBackup

MAX_PASSPHRASE_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class Unlocked:
    session_token: str
    ttl_seconds: int


@dataclass(frozen=True, slots=True)
class Session:
    """A live session as one request sees it: the record, and this instance's handle on the backup."""

    record: SessionRecord
    opened: OpenBackup

    @property
    def backup_id(self) -> str:
        return self.record.backup_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Live sessions allowed in all and per backup: each holds a handle (keys, a share of a manifest)."""

    max_live: int = 1000
    max_live_per_backup: int = 100


@dataclass(frozen=True, slots=True)
class SessionLifetime:
    """A session lives `ttl` past its last use. The sliding expiry is written at most every tenth of the
    lifetime (a minute at most), so a busy session does not write on every request."""

    clock: Clock
    ttl: timedelta

    @property
    def ttl_seconds(self) -> int:
        return int(self.ttl.total_seconds())

    def now(self) -> datetime:
        return self.clock.now()

    def new_expiry(self) -> datetime:
        return self.clock.now() + self.ttl

    def is_over(self, record: SessionRecord) -> bool:
        return record.expires_at <= self.clock.now()

    def renewal(self, record: SessionRecord) -> datetime | None:
        """The expiry to write after a use of `record`, or None when the stored one is recent enough."""
        expires_at = self.new_expiry()
        granularity = min(self.ttl / 10, timedelta(seconds=60))
        return expires_at if expires_at - record.expires_at >= granularity else None
