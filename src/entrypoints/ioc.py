"""The composition root: dishka providers, one per concern. Creating an object connects to nothing."""

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from ios_backup_api.adapters.apps.calls import SqliteCallsReader
from ios_backup_api.adapters.apps.contacts import SqliteContactsReader
from ios_backup_api.adapters.apps.databases import SqliteAppDatabases
from ios_backup_api.adapters.apps.messages import SqliteMessagesReader
from ios_backup_api.adapters.apps.notes import SqliteNotesReader
from ios_backup_api.adapters.apps.photos import SqlitePhotosReader
from ios_backup_api.adapters.apps.previews import StdlibContentPreviews
from ios_backup_api.adapters.apps.whatsapp import SqliteWhatsAppReader
from ios_backup_api.adapters.catalog.sqla_catalog import SqlaBackupCatalog
from ios_backup_api.adapters.pictures.heic import PiHeifPictureConversion
from ios_backup_api.adapters.sessions.attempts_memory import InMemoryUnlockAttemptLog
from ios_backup_api.adapters.sessions.memory import InMemorySessionStore
from ios_backup_api.adapters.sessions.sealing import HkdfAesGcmKeySealer
from ios_backup_api.adapters.sessions.sqla_attempts import SqlaUnlockAttemptLog
from ios_backup_api.adapters.sessions.sqla_store import SqlaSessionStore
from ios_backup_api.adapters.sql.engine import create_catalog_engine
from ios_backup_api.adapters.system.clock import SystemClock
from ios_backup_api.adapters.system.tokens import SecretsTokenSource
from ios_backup_api.adapters.zip.stream_writer import ZipStreamEncoder
from ios_backup_api.domain.ports.archive import ArchiveEncoder
from ios_backup_api.domain.ports.attempts import UnlockAttemptLog
from ios_backup_api.domain.ports.catalog import BackupCatalog
from ios_backup_api.domain.ports.clock import Clock
from ios_backup_api.domain.ports.library import BackupLibrary
from ios_backup_api.domain.ports.pictures import PictureConversion
from ios_backup_api.domain.ports.previews import ContentPreviews
from ios_backup_api.domain.ports.sessions import KeySealer, SessionStore
from ios_backup_api.domain.ports.tokens import TokenSource
from ios_backup_api.domain.ports.vault import BackupVault
from ios_backup_api.domain.ports.views import (
    AppDatabases,
    CallsReader,
    ContactsReader,
    MessagesReader,
    NotesReader,
    PhotosReader,
    WhatsAppReader,
)
from ios_backup_api.domain.services.archive_export import ArchiveExport
from ios_backup_api.domain.services.discovery import BackupDiscovery
from ios_backup_api.domain.services.open_handles import OpenHandles
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.throttle import ThrottlePolicy, UnlockThrottle
from ios_backup_api.domain.services.unlock_gate import UnlockGate
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.domain.sessions import SessionLifetime, SessionLimits
from ios_backup_api.entrypoints.folder_providers import BackupFolderProvider, SettingsProvider
from ios_backup_api.entrypoints.manifest_memory import ram_files_for
from ios_backup_api.entrypoints.settings import Settings


class DatabaseProvider(Provider):
    scope = Scope.APP

    @provide
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        """Connects on first use only; the schema is brought up to date by the start-up (see startup.py)."""
        engine = create_catalog_engine(settings.database.url)
        try:
            yield engine
        finally:
            await engine.dispose()

    @provide
    def catalog(self, engine: AsyncEngine) -> BackupCatalog:
        return SqlaBackupCatalog(engine)

    @provide
    def sessions(self, settings: Settings, engine: AsyncEngine) -> SessionStore:
        if settings.sessions_in_database:
            return SqlaSessionStore(engine)
        return InMemorySessionStore()

    @provide
    def unlock_attempts(self, settings: Settings, engine: AsyncEngine) -> UnlockAttemptLog:
        # Counted where the sessions are: shared by the instances that share them, and kept across restarts.
        if settings.sessions_in_database:
            return SqlaUnlockAttemptLog(engine)
        return InMemoryUnlockAttemptLog()


class SystemProvider(Provider):
    scope = Scope.APP

    sealer = provide(HkdfAesGcmKeySealer, provides=KeySealer)
    clock = provide(SystemClock, provides=Clock)
    tokens = provide(SecretsTokenSource, provides=TokenSource)

    @provide
    def archive_encoder(self) -> Iterator[ArchiveEncoder]:
        encoder = ZipStreamEncoder()
        try:
            yield encoder
        finally:
            encoder.close()


class DomainProvider(Provider):
    scope = Scope.APP

    @provide
    def throttle(self, clock: Clock, log: UnlockAttemptLog, settings: Settings) -> UnlockThrottle:
        unlock = settings.unlock
        policy = ThrottlePolicy(
            free_attempts=unlock.free_attempts,
            first_delay=timedelta(seconds=unlock.first_delay_seconds),
            max_delay=timedelta(seconds=unlock.max_delay_seconds),
        )
        return UnlockThrottle(clock, log, policy)

    @provide
    def gate(self, vault: BackupVault, throttle: UnlockThrottle, settings: Settings) -> UnlockGate:
        return UnlockGate(
            vault,
            throttle,
            settings.unlock.max_concurrent_derivations,
            settings.unlock.max_waiting_per_backup,
        )

    handles = provide(OpenHandles)

    @provide
    def lifetime(self, clock: Clock, settings: Settings) -> SessionLifetime:
        return SessionLifetime(clock, timedelta(seconds=settings.sessions.ttl_seconds))

    @provide
    def limits(self, settings: Settings) -> SessionLimits:
        return SessionLimits(settings.sessions.max_live, settings.sessions.max_live_per_backup)

    lifecycle = provide(SessionLifecycle)
    archive = provide(ArchiveExport)

    @provide
    def discovery(
        self, catalog: BackupCatalog, library: BackupLibrary, sessions: SessionLifecycle
    ) -> BackupDiscovery:
        return BackupDiscovery(catalog, library, removal_listeners=(sessions,))


class AppViewsProvider(Provider):
    """The typed views: the app databases of unlocked backups, and one reader per app."""

    scope = Scope.APP

    @provide
    def databases(self, settings: Settings) -> AppDatabases:
        # The manifest's choice of memory (a RAM file where the folder is a tmpfs) holds its databases too.
        return SqliteAppDatabases(
            settings.views.memory_mib << 20,
            settings.views.query_timeout_seconds,
            ram_files_for(settings.manifest),
        )

    reading = provide(ViewReading)
    contacts = provide(SqliteContactsReader, provides=ContactsReader)
    calls = provide(SqliteCallsReader, provides=CallsReader)

    @provide
    def messages(self) -> MessagesReader:
        return SqliteMessagesReader()

    @provide
    def whatsapp(self) -> WhatsAppReader:
        return SqliteWhatsAppReader()

    @provide
    def photos(self) -> PhotosReader:
        return SqlitePhotosReader()

    @provide
    def notes(self) -> NotesReader:
        return SqliteNotesReader()

    @provide
    def previews(self, settings: Settings) -> ContentPreviews:
        """A file's page reads an SQLite file with the views' loader, under the views' query timeout."""
        return StdlibContentPreviews(read_seconds=settings.views.query_timeout_seconds)

    @provide
    def pictures(self) -> PictureConversion:
        return PiHeifPictureConversion()


def default_providers() -> tuple[Provider, ...]:
    return (
        SettingsProvider(),
        DatabaseProvider(),
        BackupFolderProvider(),
        SystemProvider(),
        DomainProvider(),
        AppViewsProvider(),
    )
