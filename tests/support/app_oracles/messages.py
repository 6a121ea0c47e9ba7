"""An independent reading of sms.db: what the Messages views must answer.

Plain `sqlite3` on temporary copies of the main file and its `-wal` (SQLite itself applies the WAL), every
table read whole with `SELECT *`, and the joins, sorts, filters and paging done here in Python. Shares no
code with the reader; attributedBody is read by the reference typedstream reader (pytypedstream).
Answers are `{"items": [asdict(record), ...], "total": n}`.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.app_oracles.common import by_time, filtered, newest_first
from tests.support.app_oracles.sqlite_copy import Row, read_tables
from tests.support.app_oracles.values import text as as_text
from tests.support.typedstream_reference import reference_text

_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_FIRST, _LAST = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)
_ATTACHMENT = re.compile(r"^(?:~|/var/mobile|/private/var/mobile)/(Library/SMS/Attachments/.*)$", re.DOTALL)


def apple_moment(value: object) -> datetime | None:
    """Nanoseconds since 2001 for integers from 10**11 on (sms.db since iOS 11), else seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        if isinstance(value, int) and abs(value) >= 10**11:
            moment = _EPOCH + timedelta(microseconds=value // 1000)
        else:
            moment = _EPOCH + timedelta(seconds=value)
    except OverflowError:
        return None
    return moment if _FIRST < moment < _LAST else None


def _rowid(row: Row) -> int:
    return int(row["rowid"])


def _message_chats(tables: dict[str, list[Row]]) -> dict[int, int]:
    chats: dict[int, int] = {}
    for join in tables.get("chat_message_join", []):
        message, chat = join["message_id"], join["chat_id"]
        chats[message] = min(chats.get(message, chat), chat)
    return chats


def _text_of(row: Row) -> str | None:
    text = as_text(row.get("text"))
    if text is not None:
        return text
    body = row.get("attributedbody")
    if isinstance(body, int | float):
        body = str(body).encode()
    return reference_text(body) if isinstance(body, bytes) else None


def _attachments(tables: dict[str, list[Row]]) -> dict[int, list[Row]]:
    by_id = {_rowid(row): row for row in tables.get("attachment", [])}
    found: dict[int, list[Row]] = {}
    joins = sorted(
        tables.get("message_attachment_join", []), key=lambda j: (j["message_id"], j["attachment_id"])
    )
    for join in joins:
        row = by_id.get(join["attachment_id"])
        if row is None:
            continue
        filename = as_text(row.get("filename"))
        match = _ATTACHMENT.match(filename) if filename is not None else None
        name = as_text(row.get("transfer_name"))
        if name is None and filename:
            name = filename.split("/")[-1] or None
        size = row.get("total_bytes")
        found.setdefault(join["message_id"], []).append(
            {
                "entry": {"domain": "MediaDomain", "relative_path": match.group(1)} if match else None,
                "name": name,
                "mime_type": as_text(row.get("mime_type")),
                "size": size if isinstance(size, int) else None,
                "file_id": None,
            }
        )
    return found


def all_messages(tables: dict[str, list[Row]]) -> list[Row]:
    """Every message as the view shows it, in the view's order (sent_at, then id; no time last)."""
    handles = {_rowid(row): as_text(row.get("id")) for row in tables.get("handle", [])}
    chats = _message_chats(tables)
    attachments = _attachments(tables)
    messages = []
    for row in tables["message"]:
        from_me = row.get("is_from_me")
        is_from_me = isinstance(from_me, int | float) and from_me != 0
        messages.append(
            {
                "id": _rowid(row),
                "guid": as_text(row.get("guid")) or "",
                "chat_id": chats.get(_rowid(row)),
                "sender": None if is_from_me else handles.get(row.get("handle_id")),  # type: ignore[arg-type]
                "is_from_me": is_from_me,
                "sent_at": apple_moment(row.get("date")),
                "text": _text_of(row),
                "service": as_text(row.get("service")),
                "attachments": attachments.get(_rowid(row), []),
            }
        )
    return by_time(messages)


def messages(main: bytes, wal: bytes | None, **query: Any) -> dict[str, Any]:
    """`query`: chat_id, since, until, q, limit, offset (as the view takes them)."""
    return filtered(all_messages(read_tables(main, wal)), **query)


def chats(main: bytes, wal: bytes | None, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    tables = read_tables(main, wal)
    handles = {_rowid(row): row for row in tables.get("handle", [])}
    members: dict[int, list[tuple[int, str]]] = {}
    for join in tables.get("chat_handle_join", []):
        handle = handles.get(join["handle_id"])
        address = as_text(handle.get("id")) if handle is not None else None
        if address is not None:
            members.setdefault(join["chat_id"], []).append((_rowid(handle), address))  # type: ignore[arg-type]
    shown = all_messages(tables)
    found: list[Row] = []
    for row in tables["chat"]:
        own = [m for m in shown if m["chat_id"] == _rowid(row)]
        times = [m["sent_at"] for m in own if m["sent_at"] is not None]
        participants: list[str] = []
        for _, address in sorted(members.get(_rowid(row), [])):
            if address not in participants:
                participants.append(address)
        found.append(
            {
                "id": _rowid(row),
                "guid": as_text(row.get("guid")) or "",
                "service": as_text(row.get("service_name")),
                "display_name": as_text(row.get("display_name")) or None,
                "participants": participants,
                "message_count": len(own),
                "last_message_at": max(times) if times else None,
            }
        )
    return newest_first(found, "last_message_at", limit=limit, offset=offset)
