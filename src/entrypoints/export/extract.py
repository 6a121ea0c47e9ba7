"""`ios-backup-api extract BACKUP_ID DEST`: the real tree, `DEST/<domain>/<relative_path>`, with the
manifest's times; links as links that stay inside DEST; resumable."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from ios_backup_api.adapters.export.names import UnsafeNameError, entry_parts
from ios_backup_api.adapters.export.tree import DestinationTree
from ios_backup_api.domain.link_targets import confined_target
from ios_backup_api.domain.manifest import EntryKind, ManifestEntry
from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.services.selection import Selection, selected_entries
from ios_backup_api.entrypoints.export.copying import copy_file, reason
from ios_backup_api.entrypoints.export.progress import Report
from ios_backup_api.entrypoints.export.times import nanoseconds
from ios_backup_api.entrypoints.export.workers import each_at_once


@dataclass(frozen=True, slots=True)
class Totals:
    files: int
    size: int


async def totals(opened: OpenBackup, selection: Selection) -> Totals:
    """The selection's regular files, and their size as the manifest records it."""
    files = size = 0
    if selection.kind in (None, EntryKind.FILE):
        only_files = Selection(selection.domain, selection.path_like, EntryKind.FILE)
        async for entry in selected_entries(opened, only_files):
            files += 1
            size += entry.size or 0
    return Totals(files, size)


async def extract(opened: OpenBackup, selection: Selection, destination: Path, report: Report) -> None:
    """Writes the selection into `destination` (a folder that exists); an entry that can't be written is
    told to `report` and left out, the others are written."""
    tree = DestinationTree(destination)
    folder_times: list[tuple[tuple[str, ...], int]] = []

    async def copy(item: tuple[ManifestEntry, tuple[str, ...]]) -> None:
        await copy_file(opened, item[0], tree, item[1], report)

    files = _files_made_the_rest(selected_entries(opened, selection), tree, folder_times, report)
    await each_at_once(files, copy)
    # Deepest first: setting a folder's time after its contents are in keeps it.
    for parts, modified in sorted(folder_times, key=lambda item: len(item[0]), reverse=True):
        tree.set_folder_times(parts, modified)


async def _files_made_the_rest(
    entries: AsyncIterator[ManifestEntry],
    tree: DestinationTree,
    folder_times: list[tuple[tuple[str, ...], int]],
    report: Report,
) -> AsyncIterator[tuple[ManifestEntry, tuple[str, ...]]]:
    """The regular files among `entries`, with where they go; folders and links are made on the way."""
    async for entry in entries:
        try:
            parts = entry_parts(entry.domain, entry.relative_path)
            if entry.kind is EntryKind.FILE:
                yield entry, parts
            elif entry.kind is EntryKind.DIRECTORY:
                tree.folder(parts)
                modified = nanoseconds(entry.modified_at)
                if modified is not None:
                    folder_times.append((parts, modified))
            elif entry.kind is EntryKind.SYMLINK:
                _link(tree, entry, parts)
            else:
                report.problem(f"{_name(entry)}: left out, the manifest does not say what it is.")
        except (UnsafeNameError, OSError) as error:
            report.problem(f"{_name(entry)}: left out, {reason(error)}.")


def _link(tree: DestinationTree, entry: ManifestEntry, parts: tuple[str, ...]) -> None:
    if not entry.link_target:
        raise UnsafeNameError("the manifest records no target for this link")
    if "\0" in entry.link_target:
        raise UnsafeNameError("its recorded target holds a NUL character")
    tree.link(parts, confined_target(parts, entry.link_target), nanoseconds(entry.modified_at))


def _name(entry: ManifestEntry) -> str:
    return f"{entry.domain}/{entry.relative_path}"
