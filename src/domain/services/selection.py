"""Every entry a filter of the manifest selects, in listing order, a page at a time (the archive, extract)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from ios_backup_api.domain.manifest import MAX_PAGE_SIZE, EntryKind, FileQuery, ManifestEntry
from ios_backup_api.domain.ports.vault import OpenBackup


@dataclass(frozen=True, slots=True)
class Selection:
    """The filters of `/files` without its paging: every match."""

    domain: str | None = None
    path_like: str | None = None
    kind: EntryKind | None = None
    under: str | None = None
    """A folder: only what is below it (see `FileQuery.under`)."""


async def selected_entries(opened: OpenBackup, selection: Selection) -> AsyncIterator[ManifestEntry]:
    """The matches by domain, then relative path, in pages of the largest size; memory holds one page."""
    offset = 0
    while True:
        query = FileQuery(
            selection.domain,
            selection.path_like,
            selection.kind,
            MAX_PAGE_SIZE,
            offset,
            under=selection.under,
        )
        page = await opened.files(query)
        for entry in page.items:
            yield entry
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return
