"""The start-up's explicit steps: creating the container and its engine connects to nothing; migrations run
because the start-up runs them, and only when configured to."""

from pathlib import Path

import pytest
from dishka import make_async_container
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.entrypoints.ioc import default_providers
from ios_backup_api.entrypoints.settings import Settings
from ios_backup_api.entrypoints.startup import DatabaseUnreachableError, DatabaseWait, start
from tests.e2e.conftest import settings_for
from tests.support.backups import write_samples

NO_WAIT = DatabaseWait(total_seconds=0)


def _settings(tmp_path: Path, database: Path) -> Settings:
    write_samples(tmp_path / "backups")
    return settings_for(tmp_path / "backups", f"sqlite+aiosqlite:///{database}")


async def test_building_the_container_and_its_engine_touches_no_database(tmp_path: Path) -> None:
    database = tmp_path / "db" / "catalog.sqlite3"
    settings = _settings(tmp_path, database)
    container = make_async_container(*default_providers(), context={Settings: settings})
    await container.get(AsyncEngine)
    assert not database.parent.exists(), "nothing connected, so no folder and no file was made"
    await container.close()


async def test_without_migrate_on_start_the_start_up_does_not_migrate(tmp_path: Path) -> None:
    database = tmp_path / "catalog.sqlite3"
    settings = _settings(tmp_path, database)
    container = make_async_container(*default_providers(), context={Settings: settings})
    with pytest.raises(DatabaseUnreachableError, match="no such table"):
        await start(container, NO_WAIT, settings.database.url, migrate=False)
    assert len(await start(container, NO_WAIT, settings.database.url, migrate=True)) == 2
    await container.close()
