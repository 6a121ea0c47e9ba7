"""An independent reading of ChatStorage.sqlite: what the WhatsApp views must answer.

Plain `sqlite3` on temporary copies of the main file and its `-wal` (SQLite applies the WAL), tables read
whole, joins, sorts, filters and paging in Python; shares no code with the reader. Answers are
`{"items": [asdict(record), ...], "total": n}`.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.app_oracles.common import by_time, filtered, newest_first
from tests.support.app_oracles.sqlite_copy import Row, read_tables
from tests.support.app_oracles.values import text as as_text

_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_FIRST, _LAST = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)
_DOMAIN = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared"
_MIME_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(; *[\w.+-]+=[\w.+-]+)*$")


def core_data_moment(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        moment = _EPOCH + timedelta(seconds=value)
    except OverflowError:
        return None
    return moment if _FIRST < moment < _LAST else None


def _media(rows: list[Row]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["z_pk"]):
        if row.get("zmessage") in found or "zmessage" not in row:
            continue
        path = as_text(row.get("zmedialocalpath"))
        relative = None
        if path and not path.startswith("/"):
            relative = path if path.startswith("Message/") else "Message/" + path
        kind = as_text(row.get("zvcardstring"))
        size = row.get("zfilesize")
        found[row["zmessage"]] = {
            "entry": {"domain": _DOMAIN, "relative_path": relative} if relative else None,
            "relative_path": path,
            "mime_type": kind if kind is not None and _MIME_TYPE.match(kind) and "\n" not in kind else None,
            "size": size if isinstance(size, int) else None,
            "file_id": None,
        }
    return found


def all_messages(tables: dict[str, list[Row]]) -> list[Row]:
    members = {row["z_pk"]: as_text(row.get("zmemberjid")) for row in tables.get("ZWAGROUPMEMBER", [])}
    media = _media(tables.get("ZWAMEDIAITEM", []))
    found = []
    for row in tables["ZWAMESSAGE"]:
        chat = row["zchatsession"]
        if not isinstance(chat, int):
            continue
        from_me = row.get("zisfromme")
        is_from_me = isinstance(from_me, int | float) and from_me != 0
        sender = None
        if not is_from_me:
            sender = members.get(row.get("zgroupmember")) or as_text(row.get("zfromjid"))
        found.append(
            {
                "id": row["z_pk"],
                "chat_id": chat,
                "is_from_me": is_from_me,
                "sender": sender,
                "sent_at": core_data_moment(row["zmessagedate"]),
                "text": as_text(row.get("ztext")),
                "media": media.get(row["z_pk"]),
            }
        )
    return by_time(found)


def messages(main: bytes, wal: bytes | None, **query: Any) -> dict[str, Any]:
    """`query`: chat_id, since, until, q, limit, offset (as the view takes them)."""
    return filtered(all_messages(read_tables(main, wal)), **query)


def chats(main: bytes, wal: bytes | None, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    tables = read_tables(main, wal)
    every = tables["ZWAMESSAGE"]
    found: list[Row] = []
    for row in tables["ZWACHATSESSION"]:
        own = [m for m in every if m["zchatsession"] == row["z_pk"]]
        times = [t for m in own if (t := core_data_moment(m["zmessagedate"])) is not None]
        jid = as_text(row.get("zcontactjid")) or ""
        found.append(
            {
                "id": row["z_pk"],
                "jid": jid,
                "name": as_text(row.get("zpartnername")),
                "is_group": jid.endswith("@g.us"),
                "message_count": len(own),
                "last_message_at": max(times) if times else None,
            }
        )
    return newest_first(found, "last_message_at", limit=limit, offset=offset)
