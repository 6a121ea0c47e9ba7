"""Every entry a filter of the manifest selects, in listing order, a page at a time (the archive, extract,
the listing of every match)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ios_backup_api.domain.manifest import MAX_PAGE_SIZE, EntryKind, EntryRun, FileQuery, ManifestEntry
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
        page = await opened.files(_page(selection, offset))
        for entry in page.items:
            yield entry
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


async def selected_runs(opened: OpenBackup, selection: Selection) -> AsyncIterator[EntryRun]:
    """The matches as `selected_entries` gives them, a run (a page of the largest size) at a time, each as
    JSON lines where the manifest's reader writes them (see `EntryRun`). The next run is read while the
    caller sends this one (the reader's SQLite runs without the interpreter): memory holds two runs."""
    offset, ahead = 0, asyncio.ensure_future(opened.run(_page(selection, 0)))
    try:
        while True:
            run = await ahead
            offset += run.count
            last = not run.count or offset >= run.total
            if not last:
                ahead = asyncio.ensure_future(opened.run(_page(selection, offset)))
            yield run
            if last:
                return
    finally:
        if not ahead.done():
            ahead.cancel()  # the caller stopped: the run read ahead is not wanted
        elif not ahead.cancelled():
            ahead.exception()  # nor is its failure, if it failed: it is not reported as never retrieved


def _page(selection: Selection, offset: int) -> FileQuery:
    return FileQuery(
        selection.domain,
        selection.path_like,
        selection.kind,
        MAX_PAGE_SIZE,
        offset,
        under=selection.under,
    )
