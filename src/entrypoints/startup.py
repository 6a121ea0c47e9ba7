"""The start-up: the catalog's migrations (as configured) and the first scan, which wait a bounded time for a
catalog database that is not answering yet."""

import asyncio
import logging
from dataclasses import dataclass

from dishka import AsyncContainer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.sql.migrate import upgrade_schema
from ios_backup_api.domain.backups import BackupSummary
from ios_backup_api.domain.errors import CatalogUnavailableError
from ios_backup_api.domain.services.discovery import BackupDiscovery

logger = logging.getLogger("ios_backup_api")


@dataclass(frozen=True, slots=True)
class DatabaseWait:
    """A start retries an unreachable catalog database with doubling delays, then gives up."""

    total_seconds: float = 60.0
    first_delay_seconds: float = 0.5
    max_delay_seconds: float = 5.0


class DatabaseUnreachableError(RuntimeError):
    """The catalog database did not answer within the start's wait; the message is one line for the user."""


async def start(
    container: AsyncContainer, wait: DatabaseWait, database_url: str, migrate: bool
) -> list[BackupSummary]:
    """Migrate (when `migrate`) and scan once, retrying while the catalog database is unavailable."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait.total_seconds
    delay = wait.first_delay_seconds
    while True:
        try:
            if migrate:  # an explicit step: nothing migrates as a side effect of being created
                await upgrade_schema(await container.get(AsyncEngine))
            discovery = await container.get(BackupDiscovery)
            return await discovery.refresh()
        except CatalogUnavailableError as error:
            remaining = deadline - loop.time()
            if remaining <= 0:
                message = (
                    f"Giving up: the catalog database at {_safe(database_url)} did not answer within "
                    f"{wait.total_seconds:g} s (last error: {error}). "
                    "Check IOS_BACKUP_DATABASE__URL and that the database is running."
                )
                logger.error("%s", message)
                raise DatabaseUnreachableError(message) from None
            pause = min(delay, remaining)
            logger.warning("The catalog database is not answering (%s); retrying in %.1f s.", error, pause)
            await asyncio.sleep(pause)
            delay = min(delay * 2, wait.max_delay_seconds)


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
