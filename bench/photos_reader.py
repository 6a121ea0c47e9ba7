"""The Photos reader on a generated library of 100,000 assets (in memory, as the service holds it): the first
page of a filter and later pages, beside the same page asked of `sqlite3` on a decrypted copy on disk (what a
user does today). The reader alone, without HTTP; `python bench/photos_reader.py [--assets N]`."""

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from ios_backup_api.adapters.apps.loading import loaded_database
from ios_backup_api.adapters.apps.photos import SqlitePhotosReader
from ios_backup_api.adapters.backup_writer.apps.photos import DATABASE, photos_entries
from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.domain.views.pages import SOURCES, ViewName, ViewQuery

_FILTERS: dict[str, dict[str, object]] = {
    "all": {},
    "videos": {"kind": "video"},
    "favourites": {"favorite": True},
}
_SQL_FILTERS = {"all": "", "videos": "AND ZKIND = 1", "favourites": "AND ZFAVORITE = 1"}
_LATER_PAGES = range(100, 20_100, 400)


def _peer(path: Path, label: str, offset: int) -> None:
    connection = sqlite3.connect(path)
    try:
        where = f"ZTRASHEDSTATE = 0 {_SQL_FILTERS[label]}"
        connection.execute(f"SELECT count(*) FROM ZASSET WHERE {where}").fetchone()  # noqa: S608
        connection.execute(
            f"SELECT * FROM ZASSET WHERE {where} ORDER BY ZDATECREATED DESC, Z_PK LIMIT 100 OFFSET ?",  # noqa: S608
            (offset,),
        ).fetchall()
    finally:
        connection.close()


def _timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


async def main(assets: int) -> None:
    entries = photos_entries(17, wal=False, scale=assets)
    data = next(
        e for e in entries if isinstance(e, SyntheticFile) and e.relative_path == DATABASE
    ).read_bytes()
    folder = Path(tempfile.mkdtemp(prefix="photos-bench-"))
    try:
        copy = folder / "Photos.sqlite"
        copy.write_bytes(data)
        reader = SqlitePhotosReader()
        print(f"{assets:,} assets; ms, reader (in memory) | sqlite3 on a copy on disk")
        for label, filters in _FILTERS.items():
            database = loaded_database(SOURCES[ViewName.PHOTOS], bytearray(data), None)
            started = time.perf_counter()
            page = await reader.photos(database, ViewQuery(**filters))  # type: ignore[arg-type]
            first = (time.perf_counter() - started) * 1000
            later = []
            for offset in _LATER_PAGES:
                started = time.perf_counter()
                await reader.photos(database, ViewQuery(offset=offset, **filters))  # type: ignore[arg-type]
                later.append((time.perf_counter() - started) * 1000)
            peer_first = _timed(lambda label=label: _peer(copy, label, 0))
            peer_later = [_timed(lambda o=o, label=label: _peer(copy, label, o)) for o in _LATER_PAGES]
            p95, peer_p95 = (statistics.quantiles(times, n=20)[-1] for times in (later, peer_later))
            print(
                f"{label:>10} ({page.total:,}): first {first:6.1f} | {peer_first:6.1f}   "
                f"later p50 {statistics.median(later):5.2f} | {statistics.median(peer_later):5.2f}   "
                f"p95 {p95:6.2f} | {peer_p95:6.2f}"
            )
            database.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--assets", type=int, default=100_000)
    asyncio.run(main(arguments.parse_args().assets))
