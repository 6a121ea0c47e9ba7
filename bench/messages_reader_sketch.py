"""Sketch for the coordinator's bench program: the Messages view's reader on a generated sms.db of N messages
(iOS 17, half the texts only in attributedBody), in memory as the service holds it. First pages are cold
(a fresh copy of the database, nothing kept); later pages are p50 over random offsets of a warm one. Beside
it, the naive query a user runs today with sqlite3 on a decrypted copy (a file; text column only).

    .venv/bin/python bench/messages_reader_sketch.py [N]
"""

import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.messages import SqliteMessagesReader
from ios_backup_api.adapters.backup_writer.apps.messages import DATABASE, HOME, messages_entries
from ios_backup_api.adapters.backup_writer.spec import SyntheticFile
from ios_backup_api.domain.views.pages import EntryRef, ViewQuery

_NAIVE = (
    "SELECT m.ROWID, m.guid, m.text, h.id, m.date FROM message m LEFT JOIN handle h ON h.ROWID = m.handle_id "
    "ORDER BY m.date, m.ROWID LIMIT 100 OFFSET ?"
)


def fresh(data: bytes) -> SqliteAppDatabase:
    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    connection.deserialize(data)
    connection.execute("PRAGMA query_only = ON")
    return SqliteAppDatabase(EntryRef(HOME, DATABASE), connection, len(data))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await call()
    return time.perf_counter() - start


async def main(count: int) -> None:
    start = time.perf_counter()
    entries = messages_entries(17, wal=False, scale=count)
    data = next(
        e for e in entries if isinstance(e, SyntheticFile) and e.relative_path == DATABASE
    ).read_bytes()
    print(
        f"generated {count:,} messages ({len(data) / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s"
    )
    reader, rng = SqliteMessagesReader(), random.Random(0)
    cases: dict[str, dict[str, Any]] = {
        "messages": {},
        "messages, chat_id=7": {"chat_id": 7},
        "messages, since+until (a month)": {"since": None, "until": None},
        "messages, q='dinner'": {"q": "dinner"},
    }
    warm = fresh(data)
    first = await reader.messages(warm, ViewQuery(limit=1000))
    month = first.items[500].sent_at
    assert month is not None
    cases["messages, since+until (a month)"] = {"since": month, "until": month.replace(month=month.month + 1)}
    print("| query | first page (cold), median of 3 | later pages p50 (200 random offsets) | total |")
    for name, case in cases.items():
        colds = []
        for _ in range(3):
            cold, query = fresh(data), ViewQuery(**case)
            colds.append(await timed(lambda d=cold, q=query: reader.messages(d, q)))  # type: ignore[misc]
        total = (await reader.messages(warm, ViewQuery(**case))).total
        laters = []
        for _ in range(200):
            query = ViewQuery(offset=rng.randrange(max(1, total)), **case)
            laters.append(await timed(lambda q=query: reader.messages(warm, q)))  # type: ignore[misc]
        print(f"| {name} | {ms(statistics.median(colds))} | {ms(statistics.median(laters))} | {total:,} |")
    colds = []
    for _ in range(3):
        cold = fresh(data)
        colds.append(await timed(lambda d=cold: reader.chats(d, ViewQuery())))  # type: ignore[misc]
    laters = [await timed(lambda: reader.chats(warm, ViewQuery(offset=10))) for _ in range(200)]
    print(f"| chats | {ms(statistics.median(colds))} | {ms(statistics.median(laters))} | 50 |")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sms.db"
        path.write_bytes(data)
        connection = sqlite3.connect(path)
        naive = []
        for _ in range(50):
            begin = time.perf_counter()
            connection.execute(_NAIVE, (rng.randrange(count),)).fetchall()
            naive.append(time.perf_counter() - begin)
        connection.close()
    baseline = "baseline: sqlite3 on a decrypted copy, ORDER BY date LIMIT 100 OFFSET random"
    print(f"| {baseline} | - | {ms(statistics.median(naive))} | |")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
