"""The WhatsApp views over ChatStorage.sqlite: chat sessions, and messages with their media item.

A message's media is the lowest ZWAMEDIAITEM whose ZMESSAGE is it; its file is in the app group's domain at
`Message/` + ZMEDIALOCALPATH (as iLEAPP finds it), its MIME type in ZVCARDSTRING (which holds a vCard for a
contact card: not a MIME type, so null). A group message's sender is its ZWAGROUPMEMBER's JID. Messages of
no chat session (ZCHATSESSION not an integer) are left out. SQL is put together from constant pieces and
column names checked against the schema (`noqa: S608`); values are parameters.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

from ios_backup_api.adapters.apps import sql_times
from ios_backup_api.adapters.apps import sql_values as sql
from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.adapters.apps.paging import (
    HEAD,
    MessagesInTimeOrder,
    SqlOrdered,
    newest_first,
    whole_page,
)
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.views.apple_time import from_apple_seconds
from ios_backup_api.domain.views.pages import EntryRef, ViewPage, ViewQuery
from ios_backup_api.domain.views.records import WhatsAppChat, WhatsAppMedia, WhatsAppMessage

_NAME = "ChatStorage.sqlite"
_DOMAIN = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared"
_MEDIA_ROOT = "Message/"
_MIME = re.compile(r"[\w.+-]+/[\w.+-]+(; *[\w.+-]+=[\w.+-]+)*")
_KEY = sql_times.seconds_key("ZMESSAGEDATE")


def media_entry(path: str | None) -> EntryRef | None:
    """Where a ZMEDIALOCALPATH (`Media/<jid>/…`, relative to the shared container's `Message/`) is."""
    if not path or path.startswith("/"):
        return None
    return EntryRef(_DOMAIN, path if path.startswith(_MEDIA_ROOT) else _MEDIA_ROOT + path)


class SqliteWhatsAppReader(MessagesInTimeOrder[WhatsAppMessage]):
    def __init__(self, head: int = HEAD) -> None:
        super().__init__("whatsapp", _Messages, head)

    async def chats(self, database: AppDatabase, query: ViewQuery) -> ViewPage[WhatsAppChat]:
        return await whole_page(database, ("whatsapp", "chats"), _chats, query)


class _Messages(SqlOrdered):
    def __init__(self, db: SqliteAppDatabase, connection: sqlite3.Connection, query: ViewQuery) -> None:
        self.db, self.connection, self.query = db, connection, query
        self.message = _message_columns(db, connection)
        super().__init__(connection, "ZWAMESSAGE", _KEY, *_where(query), newest_first=False)

    def folded_texts(self) -> dict[int, tuple[str, ...]]:
        return _folded_texts(self.connection, self.message)

    def rows(self, ids: Sequence[int]) -> list[WhatsAppMessage]:
        return _messages(self.db, self.connection, self.message, ids)


def _message_columns(db: SqliteAppDatabase, connection: sqlite3.Connection) -> frozenset[str]:
    message = db.columns(connection, "ZWAMESSAGE")
    sql.require(message, _NAME, "ZWAMESSAGE", ("ZCHATSESSION", "ZISFROMME", "ZMESSAGEDATE"))
    return message


def _chats(db: SqliteAppDatabase, connection: sqlite3.Connection) -> list[WhatsAppChat]:
    session = db.columns(connection, "ZWACHATSESSION")
    sql.require(session, _NAME, "ZWACHATSESSION", ("ZCONTACTJID",))
    _message_columns(db, connection)
    name = sql.text_sql(sql.column(session, "ZWACHATSESSION", "ZPARTNERNAME"))
    rows = connection.execute(
        f"SELECT Z_PK, CAST(ZCONTACTJID AS BLOB), {name} FROM ZWACHATSESSION"  # noqa: S608
    ).fetchall()
    counts = {
        chat: (count, sql_times.from_key(last))
        for chat, count, last in connection.execute(
            f"SELECT ZCHATSESSION, COUNT(*), MAX({_KEY}) FROM ZWAMESSAGE GROUP BY ZCHATSESSION"  # noqa: S608
        )
    }
    chats = []
    for pk, jid, partner in rows:
        count, last = counts.get(pk, (0, None))
        contact = sql.text(jid) or ""
        chats.append(WhatsAppChat(pk, contact, sql.text(partner), contact.endswith("@g.us"), count, last))
    return newest_first(chats, lambda chat: chat.last_message_at, lambda chat: chat.id)


def _where(query: ViewQuery) -> tuple[list[str], list[object]]:
    where, parameters = sql_times.key_bounds(_KEY, query.since, query.until)
    where.append("typeof(ZCHATSESSION) = 'integer'")
    if query.chat_id is not None:
        where.append("ZCHATSESSION = ?")
        parameters.append(query.chat_id)
    return where, parameters


def _folded_texts(connection: sqlite3.Connection, message: frozenset[str]) -> dict[int, tuple[str, ...]]:
    if "ZTEXT" not in message:
        return {}
    found = connection.execute("SELECT Z_PK, CAST(ZTEXT AS BLOB) FROM ZWAMESSAGE WHERE ZTEXT IS NOT NULL")
    return {pk: sql.folded(text) for pk, value in found if (text := sql.text(value)) is not None}


def _messages(
    db: SqliteAppDatabase, connection: sqlite3.Connection, message: frozenset[str], ids: Sequence[int]
) -> list[WhatsAppMessage]:
    if not ids:
        return []
    member = db.columns(connection, "ZWAGROUPMEMBER")
    has_member = "ZGROUPMEMBER" in message and "ZMEMBERJID" in member
    member_jid = "CAST(ZWAGROUPMEMBER.ZMEMBERJID AS BLOB)" if has_member else "NULL"
    join = "LEFT JOIN ZWAGROUPMEMBER ON ZWAGROUPMEMBER.Z_PK = ZWAMESSAGE.ZGROUPMEMBER" if has_member else ""
    text = sql.text_sql(sql.column(message, "ZWAMESSAGE", "ZTEXT"))
    sender = sql.text_sql(sql.column(message, "ZWAMESSAGE", "ZFROMJID"))
    rows = connection.execute(
        f"SELECT ZWAMESSAGE.Z_PK, ZWAMESSAGE.ZCHATSESSION, {sql.flag_sql('ZWAMESSAGE.ZISFROMME')}, "  # noqa: S608
        f"{member_jid}, {sender}, {sql.number_sql('ZWAMESSAGE.ZMESSAGEDATE')}, {text} FROM ZWAMESSAGE {join} "
        f"WHERE ZWAMESSAGE.Z_PK IN ({sql.marks(len(ids))})",
        ids,
    ).fetchall()
    media = _media(db, connection, ids)
    by_id = {
        pk: WhatsAppMessage(
            id=pk,
            chat_id=chat,
            is_from_me=bool(from_me),
            sender=None if from_me else sql.text(group_member) or sql.text(from_jid),
            sent_at=from_apple_seconds(date),
            text=sql.text(value),
            media=media.get(pk),
        )
        for pk, chat, from_me, group_member, from_jid, date, value in rows
    }
    return [by_id[pk] for pk in ids]


def _media(
    db: SqliteAppDatabase, connection: sqlite3.Connection, ids: Sequence[int]
) -> dict[int, WhatsAppMedia]:
    item = db.columns(connection, "ZWAMEDIAITEM")
    if "ZMESSAGE" not in item:
        return {}
    path = sql.text_sql(sql.column(item, "ZWAMEDIAITEM", "ZMEDIALOCALPATH"))
    mime = sql.text_sql(sql.column(item, "ZWAMEDIAITEM", "ZVCARDSTRING"))
    size = sql.number_sql(sql.column(item, "ZWAMEDIAITEM", "ZFILESIZE"))
    found: dict[int, WhatsAppMedia] = {}
    for message, local_path, vcard_string, file_size in connection.execute(
        f"SELECT ZMESSAGE, {path}, {mime}, {size} FROM ZWAMEDIAITEM "  # noqa: S608
        f"WHERE ZMESSAGE IN ({sql.marks(len(ids))}) ORDER BY ZMESSAGE, Z_PK DESC",
        ids,
    ):
        relative = sql.text(local_path)
        kind = sql.text(vcard_string)
        found[message] = WhatsAppMedia(
            media_entry(relative),
            relative,
            kind if kind is not None and _MIME.fullmatch(kind) else None,
            sql.integer(file_size),
        )  # the lowest Z_PK comes last and stays
    return found
