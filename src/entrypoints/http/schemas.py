"""The HTTP shapes of the contract, mapped explicitly from the domain's objects."""

from datetime import UTC, datetime
from typing import Literal

import msgspec

from ios_backup_api.domain.backups import BackupSummary
from ios_backup_api.domain.manifest import EntryKind, FilePage, ManifestEntry

_KIND_NAMES: dict[EntryKind, Literal["file", "directory", "symlink"]] = {
    EntryKind.FILE: "file",
    EntryKind.DIRECTORY: "directory",
    EntryKind.SYMLINK: "symlink",
}
"""Looked up, not read as `.value` (an enum's property): a listing of every row maps hundreds of thousands."""


class BackupSummaryOut(msgspec.Struct, frozen=True):
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
    status: Literal["ready", "unreadable"]
    problem: str | None
    warnings: list[str]

    @classmethod
    def of(cls, summary: BackupSummary) -> "BackupSummaryOut":
        return cls(
            id=summary.id,
            udid=summary.udid,
            device_name=summary.device_name,
            display_name=summary.display_name,
            product_type=summary.product_type,
            product_version=summary.product_version,
            build_version=summary.build_version,
            serial_number=summary.serial_number,
            is_encrypted=summary.is_encrypted,
            last_backup_at=utc(summary.last_backup_at),
            size_bytes=summary.size_bytes,
            status="ready" if summary.is_ready else "unreadable",
            problem=summary.problem,
            warnings=list(summary.warnings),
        )


class BackupListOut(msgspec.Struct, frozen=True):
    backups: list[BackupSummaryOut]

    @classmethod
    def of(cls, summaries: list[BackupSummary]) -> "BackupListOut":
        return cls(backups=[BackupSummaryOut.of(summary) for summary in summaries])


class HealthOut(msgspec.Struct, frozen=True):
    status: Literal["ok"]


class ReadinessOut(msgspec.Struct, frozen=True):
    status: Literal["ok", "unavailable"]
    database: str


def utc(moment: datetime | None) -> datetime | None:
    """Timestamps leave in UTC, so msgspec writes them with a trailing `Z`."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UnlockIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    password: str | None = None


class UnlockOut(msgspec.Struct, frozen=True):
    session_token: str
    ttl_seconds: int


class ManifestEntryOut(msgspec.Struct, frozen=True):
    file_id: str
    domain: str
    relative_path: str
    kind: Literal["file", "directory", "symlink"] | None
    size: int | None
    mode: int | None
    modified_at: datetime | None
    protection_class: int | None
    link_target: str | None

    @classmethod
    def of(cls, entry: ManifestEntry) -> "ManifestEntryOut":
        # Positional, from the entry's tuple, and utc() only for a time not in UTC yet (the vault's are):
        # a listing of every row maps hundreds of thousands.
        file_id, domain, relative_path, kind, size, mode, modified_at, protection_class, link_target = entry
        return cls(
            file_id,
            domain,
            relative_path,
            None if kind is None else _KIND_NAMES[kind],
            size,
            mode,
            modified_at if modified_at is None or modified_at.tzinfo is UTC else utc(modified_at),
            protection_class,
            link_target,
        )


class FilePageOut(msgspec.Struct, frozen=True):
    items: list[ManifestEntryOut]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: FilePage) -> "FilePageOut":
        return cls([ManifestEntryOut.of(entry) for entry in page.items], page.total, page.limit, page.offset)


class DomainListOut(msgspec.Struct, frozen=True):
    domains: list[str]


class ErrorOut(msgspec.Struct, frozen=True):
    """Every error body: Litestar's shape (it may add an `extra` key)."""

    status_code: int
    detail: str
