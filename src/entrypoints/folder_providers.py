"""The providers of the backup folders and the vault, apart from the catalog's: `extract` and `decrypt` build
the server's vault from them without loading the database drivers."""

from dishka import Provider, Scope, from_context, provide

from ios_backup_api.adapters.backup_folder.file_work import FileWork
from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.filesystem.folder_library import FolderBackupLibrary
from ios_backup_api.adapters.vault.manifest_loader import ManifestLoader
from ios_backup_api.adapters.vault.vault import IosBackupVault
from ios_backup_api.domain.ports.library import BackupLibrary
from ios_backup_api.domain.ports.vault import BackupVault
from ios_backup_api.entrypoints.manifest_memory import ram_files_for
from ios_backup_api.entrypoints.settings import Settings


class SettingsProvider(Provider):
    settings = from_context(provides=Settings, scope=Scope.APP)


class BackupFolderProvider(Provider):
    scope = Scope.APP

    @provide
    def folders(self, settings: Settings) -> BackupFolders:
        return BackupFolders(settings.backup_paths.base_path)

    @provide
    def work(self, settings: Settings) -> FileWork:
        paths = settings.backup_paths
        return FileWork(paths.io_threads, paths.io_threads_per_folder, paths.io_timeout_seconds)

    @provide
    def library(self, folders: BackupFolders, work: FileWork) -> BackupLibrary:
        return FolderBackupLibrary(folders, work)

    @provide
    def vault(self, folders: BackupFolders, work: FileWork, settings: Settings) -> BackupVault:
        manifest = settings.manifest
        loader = ManifestLoader(
            ram_files_for(manifest),
            manifest.parallel_decrypt_from_mib << 20,
            manifest.read_ahead_max_mib << 20,
            None if manifest.paged_from_mib < 0 else manifest.paged_from_mib << 20,
        )
        return IosBackupVault(folders, loader, settings.unlock.max_concurrent_derivations, work)
