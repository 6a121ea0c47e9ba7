"""`ios-backup-api scan`: the backups under the base path as a table, without starting a server."""

from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.filesystem.folder_library import FolderBackupLibrary
from ios_backup_api.domain.backups import BackupSummary, newest_first
from ios_backup_api.entrypoints.settings import Settings

_COLUMNS = ("id", "device", "ios", "encrypted", "last backup (UTC)", "size", "status")


async def print_scan(settings: Settings) -> None:
    library = FolderBackupLibrary(BackupFolders(settings.backup_paths.base_path))
    backups = await library.read(list(await library.fingerprints()))
    summaries = newest_first([backup.summary for backup in backups])
    print(f"{len(summaries)} backup(s) under {settings.backup_paths.base_path.resolve()}")
    if summaries:
        print(format_table([_row(summary) for summary in summaries]))


def format_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    header = "  ".join(name.ljust(width) for name, width in zip(_COLUMNS, widths, strict=True))
    return "\n".join([header, *lines]).rstrip()


def _row(summary: BackupSummary) -> tuple[str, ...]:
    status = summary.status.value if summary.problem is None else f"{summary.status.value}: {summary.problem}"
    return (
        summary.id,
        summary.device_name or summary.product_type or "?",
        summary.product_version or "?",
        "yes" if summary.is_encrypted else "no",
        summary.last_backup_at.strftime("%Y-%m-%d %H:%M") if summary.last_backup_at else "?",
        _size(summary.size_bytes),
        status,
    )


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
