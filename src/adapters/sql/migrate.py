import asyncio
from pathlib import Path
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.sql.engine import create_catalog_engine, for_writing
from ios_backup_api.adapters.sql.errors import unavailable_on_failure

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: instances starting together take turns on PostgreSQL's advisory lock.
_MIGRATION_LOCK_KEY = 0x105_BAC_0001
_upgrade_locks: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


async def upgrade_schema(engine_or_url: AsyncEngine | str) -> None:
    """Bring the catalog schema to the newest revision (`alembic upgrade head`); safe to run again.

    Raises `CatalogUnavailableError` when the database can't be reached.
    """
    if isinstance(engine_or_url, AsyncEngine):
        await _upgrade(engine_or_url)
        return
    engine = create_catalog_engine(engine_or_url)
    try:
        await _upgrade(engine)
    finally:
        await engine.dispose()


async def _upgrade(engine: AsyncEngine) -> None:
    # Alembic keeps the running migration in module globals: two upgrades interleaving on one event loop
    # would trample each other's. Other processes are kept out by the database (see below).
    loop = asyncio.get_running_loop()
    async with _upgrade_locks.setdefault(loop, asyncio.Lock()):
        await _upgrade_alone(engine)


async def _upgrade_alone(engine: AsyncEngine) -> None:
    # One transaction for the lock and every revision: PostgreSQL and SQLite (as the engine begins it)
    # both roll DDL back, so a failed upgrade leaves the previous schema.
    with unavailable_on_failure("upgrading the schema"):
        async with for_writing(engine).begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(_upgrade_on)


def _upgrade_on(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def alembic_config() -> Config:
    """Alembic's configuration, built in code: no alembic.ini and no logging setup of Alembic's."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config
