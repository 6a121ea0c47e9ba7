"""The composition root: dishka providers, one per layer."""

from collections.abc import AsyncIterator
from datetime import timedelta

from dishka import Provider, Scope, from_context, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.catalog.sqla_catalog import SqlaBackupCatalog
from ios_backup_api.adapters.filesystem.folder_library import FolderBackupLibrary
from ios_backup_api.adapters.sessions.memory import InMemorySessionStore
from ios_backup_api.adapters.sessions.sealing import HkdfAesGcmKeySealer
from ios_backup_api.adapters.sessions.sqla_store import SqlaSessionStore
from ios_backup_api.adapters.sql.engine import create_catalog_engine
from ios_backup_api.adapters.sql.migrate import upgrade_schema
from ios_backup_api.adapters.system.clock import SecretsTokenSource, SystemClock
from ios_backup_api.adapters.vault.vault import IosBackupVault
from ios_backup_api.domain.ports.catalog import BackupCatalog
from ios_backup_api.domain.ports.clock import Clock, TokenSource
from ios_backup_api.domain.ports.library import BackupLibrary
from ios_backup_api.domain.ports.sessions import KeySealer, SessionStore
from ios_backup_api.domain.ports.vault import BackupVault
from ios_backup_api.domain.services.browsing import ManifestService
from ios_backup_api.domain.services.discovery import BackupDiscovery
from ios_backup_api.domain.services.throttle import FailedUnlockThrottle
from ios_backup_api.domain.services.unlocking import UnlockService
from ios_backup_api.entrypoints.settings import Settings


class SettingsProvider(Provider):
    settings = from_context(provides=Settings, scope=Scope.APP)


class CatalogProvider(Provider):
    scope = Scope.APP

    @provide
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = create_catalog_engine(settings.database.url)
        try:
            if settings.database.migrate_on_start:
                await upgrade_schema(engine)
            yield engine
        finally:
            await engine.dispose()

    @provide
    def catalog(self, engine: AsyncEngine) -> BackupCatalog:
        return SqlaBackupCatalog(engine)


class LibraryProvider(Provider):
    scope = Scope.APP

    @provide
    def library(self, settings: Settings) -> FolderBackupLibrary:
        return FolderBackupLibrary(settings.backup_paths.base_path)

    @provide
    def backup_library(self, library: FolderBackupLibrary) -> BackupLibrary:
        return library


class VaultProvider(Provider):
    scope = Scope.APP

    @provide
    def vault(self, library: FolderBackupLibrary) -> BackupVault:
        return IosBackupVault(library.folder_of)

    sealer = provide(HkdfAesGcmKeySealer, provides=KeySealer)
    clock = provide(SystemClock, provides=Clock)
    tokens = provide(SecretsTokenSource, provides=TokenSource)


class SessionStoreProvider(Provider):
    scope = Scope.APP

    @provide
    def sessions(self, settings: Settings, engine: AsyncEngine) -> SessionStore:
        if settings.sessions.store == "database":
            return SqlaSessionStore(engine)
        return InMemorySessionStore()


class DomainProvider(Provider):
    scope = Scope.APP

    @provide
    def unlocking(
        self,
        catalog: BackupCatalog,
        vault: BackupVault,
        sessions: SessionStore,
        sealer: KeySealer,
        clock: Clock,
        tokens: TokenSource,
        settings: Settings,
    ) -> UnlockService:
        ttl = timedelta(seconds=settings.sessions.ttl_seconds)
        return UnlockService(
            catalog, vault, sessions, sealer, clock, tokens, ttl, FailedUnlockThrottle(clock)
        )

    @provide
    def discovery(
        self, catalog: BackupCatalog, library: BackupLibrary, unlocking: UnlockService
    ) -> BackupDiscovery:
        return BackupDiscovery(catalog, library, removal_listeners=(unlocking,))

    manifest = provide(ManifestService)


def default_providers() -> tuple[Provider, ...]:
    return (
        SettingsProvider(),
        CatalogProvider(),
        LibraryProvider(),
        VaultProvider(),
        SessionStoreProvider(),
        DomainProvider(),
    )
