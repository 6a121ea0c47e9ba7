"""What the service knows about one backup folder, before anything is unlocked."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class BackupStatus(StrEnum):
    READY = "ready"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class BackupSummary:
    id: str
    udid: str | None
    device_name: str | None
    display_name: str | None
    product_type: str | None
    product_version: str | None
    build_version: str | None
    serial_number: str | None
    is_encrypted: bool
    last_backup_at: datetime | None
    size_bytes: int | None
    status: BackupStatus
    problem: str | None
    warnings: tuple[str, ...] = ()
    """What a reader should know about a usable backup, a sentence each (in progress, tolerated damage)."""

    @property
    def is_ready(self) -> bool:
        return self.status is BackupStatus.READY


@dataclass(frozen=True, slots=True)
class CatalogedBackup:
    """A summary as the catalog keeps it, with the fingerprint of the folder it was read from.

    The fingerprint is opaque to the domain: equal fingerprints mean the folder did not change.
    """

    summary: BackupSummary
    fingerprint: str


def newest_first(summaries: list[BackupSummary]) -> list[BackupSummary]:
    """Newest `last_backup_at` first, undated last; equal dates (and the undated) by id, by code point.

    Python compares strings by code point, the binary collation the API promises; sorting here rather
    than in SQL keeps the order independent of each database's collation.
    """
    by_id = sorted(summaries, key=lambda s: s.id)
    dated = [(s.last_backup_at, s) for s in by_id if s.last_backup_at is not None]
    # `reverse=True` keeps equal dates in their id order: Python's sort is stable.
    dated.sort(key=lambda pair: pair[0], reverse=True)
    return [s for _, s in dated] + [s for s in by_id if s.last_backup_at is None]
