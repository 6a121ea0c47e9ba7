"""The typed views over HTTP on a phone whose sms.db holds 100,000 messages (its newest in the -wal): the
first page of each view once the backup is unlocked (the view's database is decrypted into memory by it),
and later pages at random offsets; beside what a user does today: iphone_backup_decrypt extracts sms.db to
disk (its -wal too), then sqlite3 asks the same page of it."""

import asyncio
import random
import sqlite3
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from common.data import PASSPHRASE, SMS, VIEWS_ID, scale, views_phone
from common.http import Connection, unlock
from common.report import Row, milliseconds, parser, publish, ratio
from common.server import Server, served
from common.stats import median
from iphone_backup_decrypt import EncryptedBackup

VIEWS = ("messages/chats", "whatsapp/chats", "contacts", "calls", "photos", "notes")
_PAGE_SQL = (
    "SELECT m.ROWID, m.guid, m.text, m.attributedBody, h.id, m.date, m.is_from_me, m.service"
    " FROM message m LEFT JOIN handle h ON h.ROWID = m.handle_id ORDER BY m.date, m.ROWID LIMIT 100 OFFSET ?"
)
_CHAT_SQL = (
    "SELECT m.ROWID, m.text, m.date FROM message m JOIN chat_message_join j ON j.message_id = m.ROWID"
    " WHERE j.chat_id = ? ORDER BY m.date, m.ROWID LIMIT 100 OFFSET ?"
)


async def measure_ours(server: Server, pages: int) -> dict[str, object]:
    session, _ = await unlock(server, VIEWS_ID, PASSPHRASE)
    figures: dict[str, object] = {}
    rng = random.Random(1)
    async with Connection(server, session) as connection:
        first = await connection.get(f"/backups/{VIEWS_ID}/messages")
        assert first.status == 200, first.body
        figures["first messages page"] = first.seconds
        total = first.json()["total"]
        for view in VIEWS:
            response = await connection.get(f"/backups/{VIEWS_ID}/{view}")
            assert response.status == 200, (view, response.body)
            figures[f"first {view}"] = response.seconds
        later = []
        for _ in range(pages):
            response = await connection.get(f"/backups/{VIEWS_ID}/messages?offset={rng.randrange(total)}")
            assert response.status == 200
            later.append(response.seconds)
        figures["later messages"] = later
        chats = (await connection.get(f"/backups/{VIEWS_ID}/messages/chats?limit=1000")).json()["items"]
        chat = max(chats, key=lambda item: item["message_count"])
        figures["chat"] = (chat["id"], chat["message_count"])
        query = urllib.parse.urlencode({"chat_id": chat["id"]})
        first_chat = await connection.get(f"/backups/{VIEWS_ID}/messages?{query}")
        figures["first chat page"] = first_chat.seconds
        by_chat = []
        for _ in range(pages):
            offset = rng.randrange(max(1, chat["message_count"]))
            response = await connection.get(f"/backups/{VIEWS_ID}/messages?{query}&offset={offset}")
            by_chat.append(response.seconds)
        figures["later chat"] = by_chat
        figures["total"] = total
    return figures


def measure_anchor(base: Path, total: int, chat: int, chat_count: int, pages: int) -> dict[str, object]:
    """iphone_backup_decrypt (the passphrase already checked, as ours is unlocked) writes sms.db and its -wal
    to disk; sqlite3 opens them and answers the page."""
    backup = EncryptedBackup(backup_directory=str(base / VIEWS_ID), passphrase=PASSPHRASE)
    backup.test_decryption()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sms.db"
        started = time.perf_counter()
        backup.extract_file(relative_path=SMS[1], domain_like=SMS[0], output_filename=str(path))
        backup.extract_file(relative_path=SMS[1] + "-wal", domain_like=SMS[0], output_filename=f"{path}-wal")
        connection = sqlite3.connect(path)
        connection.execute(_PAGE_SQL, (0,)).fetchall()
        first = time.perf_counter() - started
        later = [_timed(connection, _PAGE_SQL, (rng.randrange(total),)) for _ in range(pages)]
        by_chat = [
            _timed(connection, _CHAT_SQL, (chat, rng.randrange(max(1, chat_count)))) for _ in range(pages)
        ]
        connection.close()
    return {"first": first, "later": later, "chat": by_chat}


def _timed(connection: sqlite3.Connection, sql: str, parameters: tuple[object, ...]) -> float:
    started = time.perf_counter()
    connection.execute(sql, parameters).fetchall()
    return time.perf_counter() - started


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    pages = 20 if args.smoke else 200
    base = views_phone(size)
    with served(base) as server:
        ours = asyncio.run(measure_ours(server, pages))
    total = int(ours["total"])  # type: ignore[call-overload]
    chat, chat_count = ours["chat"]  # type: ignore[misc]
    anchor = measure_anchor(base, total, chat, chat_count, pages)
    first, anchor_first = float(ours["first messages page"]), float(anchor["first"])  # type: ignore[arg-type]
    later, anchor_later = median(ours["later messages"]), median(anchor["later"])  # type: ignore[arg-type]
    by_chat, anchor_chat = median(ours["later chat"]), median(anchor["chat"])  # type: ignore[arg-type]
    anchor_note = "iphone_backup_decrypt extracts sms.db + -wal, sqlite3"
    rows = [
        Row(
            f"messages ({total:,}): first page once unlocked (sms.db decrypted into memory)",
            milliseconds(first),
            f"{milliseconds(anchor_first)} ({anchor_note})",
            ratio(first, anchor_first),
            "≤ 100 ms",
            first <= 0.100,
        ),
        Row(
            "messages: later pages of 100 at random offsets, p50",
            milliseconds(later),
            f"{milliseconds(anchor_later)} (sqlite3 on the copy, p50)",
            ratio(later, anchor_later),
            "≤ 5 ms",
            later <= 0.005,
        ),
        Row(
            f"messages of one chat ({chat_count:,}): first page",
            milliseconds(float(ours["first chat page"])),  # type: ignore[arg-type]
            target="≤ 100 ms",
            met=float(ours["first chat page"]) <= 0.100,  # type: ignore[arg-type]
        ),
        Row(
            "messages of one chat: later pages, p50",
            milliseconds(by_chat),
            f"{milliseconds(anchor_chat)} (sqlite3 on the copy, p50)",
            ratio(by_chat, anchor_chat),
            "≤ 5 ms",
            by_chat <= 0.005,
        ),
    ]
    for view in VIEWS:
        seconds = float(ours[f"first {view}"])  # type: ignore[arg-type]
        rows.append(
            Row(f"{view}: first page", milliseconds(seconds), target="≤ 100 ms", met=seconds <= 0.100)
        )
    publish(f"Typed views ({size.view_messages:,} messages)", rows, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
