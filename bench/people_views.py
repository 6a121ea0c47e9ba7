"""The contacts and calls readers on large generated databases, in process (no HTTP): the first page of a
listing and of a search, and the p50 of later pages, beside the same page asked of `sqlite3` on a decrypted
copy on disk (what a user does today: one query per page, no kept order)."""

import asyncio
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from common.report import Row, milliseconds, parser, publish, ratio
from common.stats import median

from ios_backup_api.adapters.apps.calls import SqliteCallsReader
from ios_backup_api.adapters.apps.contacts import SqliteContactsReader
from ios_backup_api.adapters.apps.loading import loaded_database
from ios_backup_api.adapters.backup_writer.apps import calls, contacts
from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.pages import SOURCES, ViewName, ViewPage, ViewQuery

_ANCHORS = {
    "calls": "SELECT Z_PK, ZADDRESS, ZNAME, ZORIGINATED, ZANSWERED, ZDURATION, ZDATE, ZSERVICE_PROVIDER "
    "FROM ZCALLRECORD {where} ORDER BY ZDATE DESC, Z_PK DESC LIMIT 100 OFFSET ?",
    "contacts": "SELECT p.ROWID, p.First, p.Last, p.Organization, group_concat(v.value) FROM ABPerson p "
    "LEFT JOIN ABMultiValue v ON v.record_id = p.ROWID AND v.property IN (3, 4) {where} GROUP BY p.ROWID "
    "ORDER BY coalesce(p.First || ' ' || p.Last, p.Organization, ''), p.ROWID LIMIT 100 OFFSET ?",
}
_SEARCHES = {
    "calls": ("anna", "WHERE ZADDRESS LIKE '%' || ? || '%' OR ZNAME LIKE '%' || ? || '%'"),
    "contacts": ("müller", "WHERE p.First LIKE '%' || ? || '%' OR p.Last LIKE '%' || ? || '%'"),
}

View = Callable[[AppDatabase, ViewQuery], Awaitable[ViewPage[Any]]]


async def _ours(database: AppDatabase, view: View, q: str | None, pages: int) -> tuple[float, float]:
    started = time.perf_counter()
    await view(database, ViewQuery(q=q))
    first = time.perf_counter() - started
    later = []
    for page in range(1, pages + 1):
        started = time.perf_counter()
        await view(database, ViewQuery(q=q, offset=page * 100))
        later.append(time.perf_counter() - started)
    return first, median(later)


def _anchor(path: Path, app: str, q: str | None, pages: int) -> tuple[float, float]:
    where = _SEARCHES[app][1] if q is not None else ""
    sql = _ANCHORS[app].format(where=where)
    timings = []
    for page in range(pages + 1):
        connection = sqlite3.connect(path)  # a fresh one per page, as a script run per page does
        started = time.perf_counter()
        connection.execute(sql, (*((q, q) if q is not None else ()), page * 100)).fetchall()
        timings.append(time.perf_counter() - started)
        connection.close()
    return timings[0], median(timings[1:])


async def _measure(app: str, rows: int, pages: int) -> list[Row]:
    module = calls if app == "calls" else contacts
    entries = (calls.calls_entries if app == "calls" else contacts.contacts_entries)(18, wal=True, scale=rows)
    files = {entry.relative_path: entry.read_bytes() for entry in entries if isinstance(entry, SyntheticFile)}
    main, wal = files[module.PATH], files[f"{module.PATH}-wal"]
    source = SOURCES[ViewName.CALLS if app == "calls" else ViewName.CONTACTS]
    view: View = SqliteCallsReader().calls if app == "calls" else SqliteContactsReader().contacts
    result = []
    with tempfile.TemporaryDirectory(prefix="bench-people-") as folder:
        path = Path(folder) / "copy.sqlite"
        path.write_bytes(main)
        path.with_name("copy.sqlite-wal").write_bytes(wal)
        for q in (None, _SEARCHES[app][0]):
            database = loaded_database(source, bytearray(main), bytearray(wal))
            try:
                first, later = await _ours(database, view, q, pages)
            finally:
                database.close()
            anchor_first, anchor_later = _anchor(path, app, q, pages)
            label = f"{app}, {rows:,} rows" + (f", q={q}" if q else "")
            result += [
                Row(f"{label}: first page", milliseconds(first), milliseconds(anchor_first),
                    ratio(first, anchor_first), "≤ 100 ms", first <= 0.1),
                Row(f"{label}: later pages p50", milliseconds(later), milliseconds(anchor_later),
                    ratio(later, anchor_later), "≤ 5 ms", later <= 0.005),
            ]  # fmt: skip
    return result


def main() -> int:
    arguments = parser(__doc__)
    arguments.add_argument("--rows", type=int, default=100_000, help="rows beyond the fixed ones")
    args = arguments.parse_args()
    rows, pages = (200, 2) if args.smoke else (args.rows, 50)
    found = [row for app in ("calls", "contacts") for row in asyncio.run(_measure(app, rows, pages))]
    publish("Contacts and calls readers", found, smoke=args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
