"""The composition root: dishka providers, one per layer."""

from collections.abc import AsyncIterator
from datetime import timedelta

from dishka import Provider, Scope, from_context, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.catalog.engine import create_catalog_engine
from adapters.catalog.migrate import upgrade_schema
from adapters.catalog.sqla_catalog import SqlaBackupCatalog
from adapters.filesystem.folder_library import FolderBackupLibrary
from adapters.sessions.memory import InMemorySessionStore
from adapters.sessions.sealing import HkdfAesGcmKeySealer
from adapters.sessions.sqla_store import SqlaSessionStore
from adapters.system.clock import SecretsTokenSource, SystemClock
from adapters.vault.vault import IosBackupVault
from domain.ports.catalog import BackupCatalog
from domain.ports.clock import Clock, TokenSource
from domain.ports.library import BackupLibrary
from domain.ports.sessions import KeySealer, SessionStore
from domain.ports.vault import BackupVault
from domain.services.browsing import ManifestService
from domain.services.discovery import BackupDiscovery
from domain.services.throttle import FailedUnlockThrottle
from domain.services.unlocking import UnlockService
from entrypoints.settings import Settings


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
