"""What the reader tests of the apps share: the generated databases of each iOS version with and without a
`-wal`, a reader's page read as the oracles answer, and the paging check."""

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, TypeVar

from ios_backup_api.adapters.apps.loading import loaded_database
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.pages import EntryRef, ViewPage, ViewQuery
from tests.support.app_databases import files_by_path

T = TypeVar("T")
Files = tuple[bytes, bytes | None]
View = Callable[[AppDatabase, ViewQuery], Awaitable[ViewPage[T]]]
IOS_VERSIONS = (14, 15, 16, 17, 18)
CASES = [(ios, wal) for ios in IOS_VERSIONS for wal in (False, True)]


def case_id(case: tuple[int, bool]) -> str:
    return f"ios{case[0]}-{'wal' if case[1] else 'nowal'}"


def generated(
    entries: Callable[..., list[SyntheticEntry]], path: str, ios: int, wal: bool, seed: int
) -> Files:
    files = files_by_path(entries(ios, wal=wal, seed=seed))
    return files[path], files.get(f"{path}-wal")


async def read_view(source: EntryRef, view: View[T], files: Files, **query: Any) -> ViewPage[T]:
    """The page `view` answers for `query` on the database as the service's loader hands it over (its WAL
    applied by the loader, read-only, in memory)."""
    main, wal = files
    database = loaded_database(source, bytearray(main), None if wal is None else bytearray(wal))
    try:
        return await view(database, ViewQuery(**query))
    finally:
        database.close()


def answer(page: ViewPage[Any]) -> dict[str, Any]:
    """The page as the oracles give it: every record as `asdict` makes it, and the count of matches."""
    return {"items": [asdict(item) for item in page.items], "total": page.total}


async def check_paging(
    read: Callable[..., Awaitable[ViewPage[Any]]],
    oracle: Callable[..., dict[str, Any]],
    files: Files,
    size: int,
) -> None:
    """Every page of `size`, and one past the end, is the oracle's slice of the same order."""
    total = (await read(files, limit=1)).total
    for offset in [*range(0, total + size, size), total + 100]:
        page = await read(files, limit=size, offset=offset)
        assert (page.limit, page.offset) == (size, offset)
        assert answer(page) == oracle(*files, limit=size, offset=offset)
