"""Where decrypted manifests are held, as the settings choose: a RAM file, or SQLite's own memory."""

from collections.abc import Callable
from pathlib import Path

from ios_backup_api.adapters.sql.ram_file import RamFiles, is_tmpfs
from ios_backup_api.entrypoints.settings import PREFIX, ManifestSettings, SettingsError


def ram_files_for(settings: ManifestSettings, probe: Callable[[Path], bool] = is_tmpfs) -> RamFiles | None:
    """`auto` takes RAM files where `probe` finds the folder to be a tmpfs; `ram-file` insists on it, since
    a nameless file on a disk would put plaintext on it; `in-process` takes none."""
    if settings.memory == "in-process":
        return None
    on_tmpfs = probe(settings.ram_folder)
    if settings.memory == "ram-file" and not on_tmpfs:
        raise SettingsError(
            f"{PREFIX}MANIFEST__RAM_FOLDER: {settings.ram_folder} is not a tmpfs (RAM) folder"
        )
    return RamFiles(settings.ram_folder) if on_tmpfs else None
