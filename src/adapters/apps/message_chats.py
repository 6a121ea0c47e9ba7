"""sms.db's chats, newest first by their last message, without reading every message's time.

A message belongs to the lowest chat joined to it (`chat_message_join`), and counts only if it is in
`message`. A chat's message count is its joins, less those of messages in a lower chat too or in no
`message` row (scans in id order). Its last message time comes from a walk of the messages newest first
(`TimeWalk`), each message's chat looked up: the walk stops once the chats of the page are known (every chat
it has not met is older than those), or once it has met every chat with messages, or once what remains
costs less read chat by chat than the walk has cost. The order found is kept, and lengthened when a later
page needs more of it.

The SQL is put together from constant pieces and checked column names (`noqa: S608`); values are parameters.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ios_backup_api.adapters.apps import sql_values as sql
from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.paging import newest_first
from ios_backup_api.adapters.apps.time_walk import TimeWalk
from ios_backup_api.domain.views.apple_time import from_apple_time
from ios_backup_api.domain.views.pages import ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Chat

_NAME = "sms.db"
_LOWEST_CHAT = "(SELECT min(chat_id) FROM chat_message_join WHERE message_id = message.ROWID)"
_CHECK_EVERY = 1024
"""Messages walked between two looks at what the chats not met yet would cost to read one by one."""


@dataclass
class _Order:
    """The chats' ids newest first as far as found (every one of them in its place: no chat not found is
    newer; all the chats when `complete`), and the last message time of those with one."""

    ids: list[int] = field(default_factory=list)
    last: dict[int, datetime] = field(default_factory=dict)
    complete: bool = False


def chats_page(db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery) -> ViewPage[Chat]:
    listed = db.kept(("messages", "chat rows"), lambda: _listed(db, connection))
    counts = db.kept(("messages", "chat counts"), lambda: _counts(connection, listed))
    order = db.kept(("messages", "chat order"), _Order)
    need = query.offset + query.limit
    if not order.complete and len(order.ids) < need:
        order.last, order.complete = _last_times(connection, counts, need)
        undated = [chat for chat in listed if chat not in order.last] if order.complete else []
        order.ids = newest_first([*order.last, *undated], order.last.get, lambda chat: chat)
    ids = order.ids[query.offset : query.offset + query.limit]
    participants = db.kept(("messages", "participants"), lambda: _participants(db, connection))
    items = [
        Chat(
            id=chat,
            guid=listed[chat][0],
            service=listed[chat][1],
            display_name=listed[chat][2],
            participants=participants.get(chat, []),
            message_count=counts.get(chat, 0),
            last_message_at=order.last.get(chat),
        )
        for chat in ids
    ]
    return ViewPage(items, len(listed), query.limit, query.offset)


def _listed(
    db: SqliteAppDatabase, connection: sqlite3.Connection
) -> dict[int, tuple[str, str | None, str | None]]:
    """Every chat's guid, service and display name, by id."""
    chat = db.columns(connection, "chat")
    sql.require(chat, _NAME, "chat", ("guid",))
    sql.require(
        db.columns(connection, "chat_message_join"), _NAME, "chat_message_join", ("chat_id", "message_id")
    )
    sql.require(db.columns(connection, "message"), _NAME, "message", ("date",))
    service = sql.text_sql(sql.column(chat, "chat", "service_name"))
    name = sql.text_sql(sql.column(chat, "chat", "display_name"))
    rows = connection.execute(f"SELECT chat.ROWID, CAST(chat.guid AS BLOB), {service}, {name} FROM chat")  # noqa: S608
    return {
        rowid: (sql.text(guid) or "", sql.text(service_name), sql.text(display_name) or None)
        for rowid, guid, service_name, display_name in rows
    }


def _counts(connection: sqlite3.Connection, listed: Mapping[int, object]) -> dict[int, int]:
    """The messages of each listed chat: its joins, less those of a message in a lower chat too, and those
    of a message not in `message`."""
    counts = dict(connection.execute("SELECT chat_id, count(*) FROM chat_message_join GROUP BY chat_id"))
    joins, joined = connection.execute(
        "SELECT count(*), count(DISTINCT message_id) FROM chat_message_join"
    ).fetchone()
    shared = "SELECT message_id FROM chat_message_join GROUP BY message_id HAVING count(*) > 1"
    odd = [message_id for (message_id,) in connection.execute(shared)] if joins > joined else []
    absent = {
        message_id
        for (message_id,) in connection.execute(  # a merge of two scans in id order, no search per join
            "SELECT message_id FROM chat_message_join EXCEPT SELECT ROWID FROM message ORDER BY 1"
        )
    }
    for message_id, chats in _chats_of(connection, [*odd, *absent]).items():
        for chat in chats if message_id in absent else chats[1:]:  # the lowest keeps a message that is there
            counts[chat] -= 1
    return {chat: count for chat, count in counts.items() if chat in listed and count > 0}


def _chats_of(connection: sqlite3.Connection, messages: list[int]) -> dict[int, list[int]]:
    """Each of `messages`' chats, ascending."""
    found: dict[int, list[int]] = {}
    if messages:
        for message_id, chat in connection.execute(
            "SELECT message_id, chat_id FROM chat_message_join "
            "WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, chat_id",
            [json.dumps(sorted(set(messages)))],
        ):
            found.setdefault(message_id, []).append(chat)
    return found


def _last_times(
    connection: sqlite3.Connection, counts: dict[int, int], need: int
) -> tuple[dict[int, datetime], bool]:
    """The last message time of the chats that are newest first up to the `need`-th at least (a chat
    without a time is not among them), and whether that is every chat's that has one."""
    left = set(counts)
    found: dict[int, datetime] = {}
    if not left:
        return found, True
    nth: datetime | None = None
    walk = TimeWalk(connection, "message", "date", "ROWID")
    for walked, (moment, _, chat) in enumerate(walk.dated(newest_first=True, extra=_LOWEST_CHAT), 1):
        if nth is not None and moment < nth:
            return found, False  # every chat not met yet is older than the need-th
        if chat in left:
            left.discard(chat)
            found[chat] = moment  # newest first: its newest
            if len(found) == need:
                nth = moment
            if not left:
                return found, True
        if walked % _CHECK_EVERY == 0 and sum(counts[chat] for chat in left) <= walked:
            found.update(_newest_of(connection, left))
            return found, True
    return found, True


def _newest_of(connection: sqlite3.Connection, chats: Iterable[int]) -> dict[int, datetime]:
    """Each chat's newest message time, from its own messages (those in no lower chat)."""
    found: dict[int, datetime] = {}
    for chat in chats:
        times = (
            from_apple_time(value)
            for (value,) in connection.execute(
                "SELECT message.date FROM chat_message_join j JOIN message ON message.ROWID = j.message_id "
                "WHERE j.chat_id = ?1 AND NOT EXISTS (SELECT 1 FROM chat_message_join k "
                "WHERE k.message_id = j.message_id AND k.chat_id < ?1)",
                [chat],
            )
        )
        dated = [moment for moment in times if moment is not None]
        if dated:
            found[chat] = max(dated)
    return found


def _participants(db: SqliteAppDatabase, connection: sqlite3.Connection) -> dict[int, list[str]]:
    """Each chat's handles (`handle.id`), in handle order, each once."""
    joins, handle = db.columns(connection, "chat_handle_join"), db.columns(connection, "handle")
    if not {"CHAT_ID", "HANDLE_ID"} <= joins or "ID" not in handle:
        return {}
    found: dict[int, list[str]] = {}
    for chat_id, address in connection.execute(
        "SELECT j.chat_id, CAST(handle.id AS BLOB) FROM chat_handle_join j "
        "JOIN handle ON handle.ROWID = j.handle_id "
        "WHERE handle.id IS NOT NULL ORDER BY j.chat_id, handle.ROWID"
    ):
        addresses = found.setdefault(chat_id, [])
        if (value := sql.text(address)) is not None and value not in addresses:
            addresses.append(value)
    return found
