"""The Messages views over sms.db: chats with their participants, and messages with their attachments.

A message's chat is the lowest `chat_id` joined to it (phones join one); its text is `message.text`, or the
string of its `attributedBody` typedstream when `text` is NULL. A filter's ordered ids are found once per
database (`kept`), so later pages cost a slice and the rows of one page.

The SQL is put together from constant pieces and from column names checked against the schema (`noqa:
S608`); values are always parameters.
"""

from __future__ import annotations

import itertools
import sqlite3
from array import array
from collections.abc import Sequence

from ios_backup_api.adapters.apps import sql_times
from ios_backup_api.adapters.apps import sql_values as sql
from ios_backup_api.adapters.apps.database import SqliteAppDatabase, sqlite_database
from ios_backup_api.adapters.apps.message_chats import chats_page
from ios_backup_api.adapters.apps.paging import HEAD, MessagesInTimeOrder, SqlOrdered
from ios_backup_api.adapters.apps.time_walk import TimeWalk
from ios_backup_api.adapters.apps.typedstream import attributed_string_text
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import from_apple_time
from ios_backup_api.domain.views.pages import EntryRef, ViewPage, ViewQuery
from ios_backup_api.domain.views.records import Chat, Message, MessageAttachment

_NAME = "sms.db"
_MEDIA = "MediaDomain"
_ATTACHMENT_ROOTS = ("~/", "/var/mobile/", "/private/var/mobile/")
_ATTACHMENTS = "Library/SMS/Attachments/"
_KEY = sql_times.apple_time_key("date")


def attachment_entry(filename: str | None) -> EntryRef | None:
    """Where `attachment.filename` (`~/Library/SMS/Attachments/…`) is in a backup: MediaDomain."""
    for root in _ATTACHMENT_ROOTS:
        if filename is not None and filename.startswith(root + _ATTACHMENTS):
            return EntryRef(_MEDIA, filename.removeprefix(root))
    return None


def message_text(text: str | None, body: object) -> str | None:
    if text is not None:
        return text
    return attributed_string_text(body) if isinstance(body, bytes) else None


class SqliteMessagesReader(MessagesInTimeOrder[Message]):
    def __init__(self, head: int = HEAD) -> None:
        super().__init__("messages", _Messages, head)

    async def chats(self, database: AppDatabase, query: ViewQuery) -> ViewPage[Chat]:
        db = sqlite_database(database)
        return await db.read(lambda connection: chats_page(db, connection, query))


class _Messages(SqlOrdered):
    def __init__(self, db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery) -> None:
        self.db, self.connection, self.query = db, connection, query
        self.message = db.columns(connection, "message")
        sql.require(self.message, _NAME, "message", ("guid", "date", "is_from_me"))
        self.joined = {"CHAT_ID", "MESSAGE_ID"} <= db.columns(connection, "chat_message_join")
        where, parameters = _where(query, self.joined)
        self.unfiltered = not where
        super().__init__(
            connection, "message", _KEY, where, parameters, id_column="ROWID", newest_first=False
        )

    def ordered(self, limit: int) -> array[int]:
        """A first page read from the stored order of `date` (rows without a time last)."""
        if not self.unfiltered or limit <= 0:
            return super().ordered(limit)
        walk = TimeWalk(self.connection, "message", "date", "ROWID")
        ids = array("q", (pk for _, pk, _ in itertools.islice(walk.dated(newest_first=False), limit)))
        if len(ids) < limit:
            ids.extend(walk.undated()[: limit - len(ids)])
        return ids

    def folded_texts(self) -> dict[int, tuple[str, ...]]:
        return _folded_texts(self.connection, self.message)

    def rows(self, ids: Sequence[int]) -> list[Message]:
        return _messages(self.db, self.connection, self.message, self.joined, ids)


def _where(query: ViewQuery, joined: bool) -> tuple[list[str], list[object]]:
    """The filters as SQL over `message`. A message's chat is the lowest joined to it: joined to this one
    and to none lower (EXCEPT: two index ranges, fast with or without the phone's indexes)."""
    where, parameters = sql_times.key_bounds(_KEY, query.since, query.until)
    if query.chat_id is not None:
        if not joined:
            return ["0"], []
        where.append(
            "ROWID IN (SELECT message_id FROM chat_message_join WHERE chat_id = ? "
            "EXCEPT SELECT message_id FROM chat_message_join WHERE chat_id < ?)"
        )
        parameters += [query.chat_id, query.chat_id]
    return where, parameters


def _folded_texts(connection: sqlite3.Connection, message: frozenset[str]) -> dict[int, tuple[str, ...]]:
    text, body = sql.column(message, "message", "text"), sql.column(message, "message", "attributedBody")
    found = connection.execute(f"SELECT ROWID, {sql.text_sql(text)}, {sql.text_sql(body)} FROM message")  # noqa: S608
    texts = ((rowid, message_text(sql.text(value), blob)) for rowid, value, blob in found)
    return {rowid: sql.folded(value) for rowid, value in texts if value is not None}


def _messages(
    db: SqliteAppDatabase,
    connection: sqlite3.Connection,
    message: frozenset[str],
    joined: bool,
    ids: Sequence[int],
) -> list[Message]:
    if not ids:
        return []
    marks = sql.marks(len(ids))
    handle = db.columns(connection, "handle")
    has_sender = "HANDLE_ID" in message and "ID" in handle
    sender = "CAST(handle.id AS BLOB)" if has_sender else "NULL"
    join = "LEFT JOIN handle ON handle.ROWID = message.handle_id" if has_sender else ""
    text = sql.text_sql(sql.column(message, "message", "text"))
    body = sql.text_sql(sql.column(message, "message", "attributedBody"))
    service = sql.text_sql(sql.column(message, "message", "service"))
    rows = connection.execute(
        f"SELECT message.ROWID, CAST(message.guid AS BLOB), {sql.flag_sql('message.is_from_me')}, {sender}, "  # noqa: S608
        f"{sql.number_sql('message.date')}, {text}, {body}, {service} FROM message {join} "
        f"WHERE message.ROWID IN ({marks})",
        ids,
    ).fetchall()
    chats: dict[int, int] = {}
    if joined:
        chats = dict(
            connection.execute(
                "SELECT message_id, MIN(chat_id) FROM chat_message_join "  # noqa: S608
                f"WHERE message_id IN ({marks}) GROUP BY message_id",
                ids,
            ).fetchall()
        )
    attachments = _attachments(db, connection, ids)
    by_id = {
        rowid: Message(
            id=rowid,
            guid=sql.text(guid) or "",
            chat_id=chats.get(rowid),
            sender=None if from_me else sql.text(address),
            is_from_me=bool(from_me),
            sent_at=from_apple_time(date),
            text=message_text(sql.text(value), blob),
            service=sql.text(service_name),
            attachments=attachments.get(rowid, []),
        )
        for rowid, guid, from_me, address, date, value, blob, service_name in rows
    }
    return [by_id[rowid] for rowid in ids]


def _attachments(
    db: SqliteAppDatabase, connection: sqlite3.Connection, ids: Sequence[int]
) -> dict[int, list[MessageAttachment]]:
    joins, attachment = (
        db.columns(connection, "message_attachment_join"),
        db.columns(connection, "attachment"),
    )
    if not {"MESSAGE_ID", "ATTACHMENT_ID"} <= joins or not attachment:
        return {}
    filename = sql.text_sql(sql.column(attachment, "attachment", "filename"))
    name = sql.text_sql(sql.column(attachment, "attachment", "transfer_name"))
    mime = sql.text_sql(sql.column(attachment, "attachment", "mime_type"))
    size = sql.number_sql(sql.column(attachment, "attachment", "total_bytes"))
    found: dict[int, list[MessageAttachment]] = {}
    for message_id, path, transfer_name, mime_type, total_bytes in connection.execute(
        f"SELECT j.message_id, {filename}, {name}, {mime}, {size} FROM message_attachment_join j "  # noqa: S608
        "JOIN attachment ON attachment.ROWID = j.attachment_id "
        f"WHERE j.message_id IN ({sql.marks(len(ids))}) ORDER BY j.message_id, attachment.ROWID",
        ids,
    ):
        location = sql.text(path)
        shown = sql.text(transfer_name)
        if shown is None and location is not None:
            shown = location.rsplit("/", 1)[-1] or None
        found.setdefault(message_id, []).append(
            MessageAttachment(
                attachment_entry(location), shown, sql.text(mime_type), sql.integer(total_bytes)
            )
        )
    return found
