"""Polyfactory factories for the catalog's domain objects, with Unicode text and UTC timestamps."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from polyfactory import Use
from polyfactory.factories import DataclassFactory

from ios_backup_api.domain.backups import BackupSummary, CatalogedBackup

# Latin accents, CJK, an astral-plane emoji, Cyrillic, Greek; no NUL, which PostgreSQL text can't hold.
_ALPHABET = "abcXYZ019 -_.'\"äÄößéñ日本語📱🍏жΩ"
_EARLIEST = datetime(2001, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 40 * 365 * 24 * 3600


T = TypeVar("T")


class _CatalogFactory(DataclassFactory[T]):
    __is_base_factory__ = True

    @classmethod
    def get_provider_map(cls) -> dict[Any, Callable[[], Any]]:
        return {
            **super().get_provider_map(),
            str: unicode_text,
            datetime: utc_moment,
            # The only int is `size_bytes`: well past 2**31, within a signed 64-bit BIGINT.
            int: lambda: cls.__random__.randint(0, 2**62),
        }


def unicode_text(max_length: int = 24) -> str:
    random = _CatalogFactory.__random__
    return "".join(random.choice(_ALPHABET) for _ in range(random.randint(1, max_length)))


def utc_moment() -> datetime:
    """Any UTC instant to the microsecond, the precision both databases keep."""
    random = _CatalogFactory.__random__
    return _EARLIEST + timedelta(
        seconds=random.randint(0, _SPAN_SECONDS), microseconds=random.randint(0, 999_999)
    )


class BackupSummaryFactory(_CatalogFactory[BackupSummary]):
    id = Use(lambda: f"{unicode_text(12)}-{uuid.uuid4().hex[:8]}")


class CatalogedBackupFactory(_CatalogFactory[CatalogedBackup]):
    summary = Use(BackupSummaryFactory.build)
