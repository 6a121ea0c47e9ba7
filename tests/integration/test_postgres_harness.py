"""The throwaway PostgreSQL server can be stopped and started again, to play an outage."""

import pytest

from ios_backup_api.adapters.catalog.sqla_catalog import SqlaBackupCatalog
from ios_backup_api.adapters.sql.engine import create_catalog_engine
from ios_backup_api.adapters.sql.migrate import upgrade_schema
from ios_backup_api.domain.errors import CatalogUnavailableError
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres


async def test_a_catalog_is_unavailable_while_postgres_is_down_and_recovers_when_it_is_back(
    postgres_server: PostgresServer, fresh_postgres_url: str
) -> None:
    await upgrade_schema(fresh_postgres_url)
    engine = create_catalog_engine(fresh_postgres_url)
    catalog = SqlaBackupCatalog(engine)
    try:
        await catalog.ping()

        postgres_server.stop()
        try:
            with pytest.raises(CatalogUnavailableError):
                await catalog.ping()
            with pytest.raises(CatalogUnavailableError):
                await catalog.list_backups()
        finally:
            postgres_server.start()

        await catalog.ping()
        assert await catalog.list_backups() == []
    finally:
        await engine.dispose()
