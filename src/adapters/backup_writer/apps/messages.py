"""Messages' sms.db as iOS 14 to 18 leave it in a backup, with its attachments in MediaDomain.

Tables and columns as phones have them (ReagentX/imessage-exporter's table docs and public chat.db/sms.db
schema dumps): `message.date` in nanoseconds since 2001; from iOS 16 many messages keep their text only
in `attributedBody` (an NSAttributedString typedstream); group chats join several handles; an attachment's
`filename` is `~/Library/SMS/Attachments/xx/yy/GUID/name`, the file itself `Library/SMS/Attachments/...` in
MediaDomain. The newest messages are in the `-wal` file when `wal`.
"""

import random
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any

from ios_backup_api.adapters.backup_writer.apps.database_entries import database_entries
from ios_backup_api.adapters.backup_writer.apps.media_files import jpeg
from ios_backup_api.adapters.backup_writer.apps.typedstream import attributed_body
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry, SyntheticFile

HOME = "HomeDomain"
MEDIA = "MediaDomain"
DATABASE = "Library/SMS/sms.db"
SUPPORTED_IOS = range(14, 19)
_NS = 1_000_000_000
_JUNE_2023 = 707_270_400 * _NS  # 2023-06-01T00:00:00Z in nanoseconds since 2001

_MESSAGE_COLUMNS = {
    14: "ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT, "
    "replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, "
    "country TEXT, attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, "
    "service TEXT, account TEXT, account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, "
    "date_read INTEGER, date_delivered INTEGER, is_delivered INTEGER DEFAULT 0, "
    "is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0, "
    "is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0, is_auto_reply INTEGER DEFAULT 0, "
    "is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0, is_system_message INTEGER DEFAULT 0, "
    "is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0, "
    "is_service_message INTEGER DEFAULT 0, is_forward INTEGER DEFAULT 0, "
    "was_downgraded INTEGER DEFAULT 0, is_archive INTEGER DEFAULT 0, "
    "cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT, "
    "was_data_detected INTEGER DEFAULT 0, was_deduplicated INTEGER DEFAULT 0, "
    "is_audio_message INTEGER DEFAULT 0, is_played INTEGER DEFAULT 0, date_played INTEGER, "
    "item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0, group_title TEXT, "
    "group_action_type INTEGER DEFAULT 0, share_status INTEGER DEFAULT 0, "
    "share_direction INTEGER DEFAULT 0, is_expirable INTEGER DEFAULT 0, "
    "expire_state INTEGER DEFAULT 0, message_action_type INTEGER DEFAULT 0, "
    "message_source INTEGER DEFAULT 0, associated_message_guid TEXT, "
    "associated_message_type INTEGER DEFAULT 0, balloon_bundle_id TEXT, payload_data BLOB, "
    "expressive_send_style_id TEXT, associated_message_range_location INTEGER DEFAULT 0, "
    "associated_message_range_length INTEGER DEFAULT 0, time_expressive_send_played INTEGER, "
    "message_summary_info BLOB, ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT, "
    "ck_record_change_tag TEXT, destination_caller_id TEXT, sr_ck_sync_state INTEGER DEFAULT 0, "
    "sr_ck_record_id TEXT, sr_ck_record_change_tag TEXT, is_corrupt INTEGER DEFAULT 0, "
    "reply_to_guid TEXT, sort_id INTEGER, is_spam INTEGER DEFAULT 0, "
    "has_unseen_mention INTEGER DEFAULT 0, thread_originator_guid TEXT, thread_originator_part TEXT",
    15: "syndication_ranges TEXT DEFAULT NULL, synced_syndication_ranges TEXT DEFAULT NULL, "
    "was_delivered_quietly INTEGER DEFAULT 0, did_notify_recipient INTEGER DEFAULT 0",
    16: "date_retracted INTEGER, date_edited INTEGER, was_detonated INTEGER DEFAULT 0, part_count INTEGER",
    17: "is_stewie INTEGER DEFAULT 0, is_sos INTEGER DEFAULT 0, is_critical INTEGER DEFAULT 0, "
    "bia_reference_id TEXT DEFAULT NULL",
    18: "is_kt_verified INTEGER DEFAULT 0, fallback_hash TEXT DEFAULT NULL, "
    "schedule_type INTEGER DEFAULT 0, schedule_state INTEGER DEFAULT 0",
}
_CHAT_COLUMNS = {
    14: "ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER, state INTEGER, "
    "account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, room_name TEXT, "
    "account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, display_name TEXT, "
    "group_id TEXT, is_filtered INTEGER DEFAULT 0, successful_query INTEGER, engram_id TEXT, "
    "server_change_token TEXT, ck_sync_state INTEGER DEFAULT 0, original_group_id TEXT, "
    "last_read_message_timestamp INTEGER DEFAULT 0, sr_server_change_token TEXT, "
    "sr_ck_sync_state INTEGER DEFAULT 0, cloudkit_record_id TEXT, sr_cloudkit_record_id TEXT, "
    "last_addressed_sim_id TEXT, is_blackholed INTEGER DEFAULT 0",
    15: "syndication_date INTEGER DEFAULT 0, syndication_type INTEGER DEFAULT 0",
    16: "is_recovered INTEGER DEFAULT 0",
    17: "is_deleting_incoming_messages INTEGER DEFAULT 0",
}
_HANDLE_COLUMNS = {
    14: "ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT, "
    "service TEXT NOT NULL, uncanonicalized_id TEXT",
    15: "person_centric_id TEXT",
}
_ATTACHMENT_COLUMNS = {
    14: "ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, "
    "created_date INTEGER DEFAULT 0, start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, "
    "mime_type TEXT, transfer_state INTEGER DEFAULT 0, is_outgoing INTEGER DEFAULT 0, user_info BLOB, "
    "transfer_name TEXT, total_bytes INTEGER DEFAULT 0, is_sticker INTEGER DEFAULT 0, "
    "sticker_user_info BLOB, attribution_info BLOB, hide_attachment INTEGER DEFAULT 0, "
    "ck_sync_state INTEGER DEFAULT 0, ck_server_change_token_blob BLOB, ck_record_id TEXT, "
    "original_guid TEXT UNIQUE NOT NULL, sr_ck_sync_state INTEGER DEFAULT 0, "
    "sr_ck_server_change_token_blob BLOB, sr_ck_record_id TEXT",
    16: "is_commsafety_sensitive INTEGER DEFAULT 0",
    17: "emoji_image_content_identifier TEXT DEFAULT NULL, emoji_image_short_description TEXT DEFAULT NULL",
    18: "preview_generation_state INTEGER DEFAULT 0",
}
_FIXED_SCHEMA = (
    "CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key))",
    "CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, "
    "handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id))",
    "CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, "
    "message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0, "
    "PRIMARY KEY (chat_id, message_id))",
    "CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, "
    "attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE, UNIQUE(message_id, "
    "attachment_id))",
    "CREATE TABLE deleted_messages (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, guid TEXT NOT NULL)",
    "CREATE INDEX message_idx_date ON message(date)",
    "CREATE INDEX message_idx_handle ON message(handle_id, date)",
    "CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join(message_id)",
    "CREATE INDEX chat_message_join_idx_message_date_id_chat_id ON chat_message_join(chat_id, message_date, "
    "message_id)",
    "CREATE INDEX message_attachment_join_idx_message_id ON message_attachment_join(message_id)",
    "CREATE INDEX chat_handle_join_idx_handle_id ON chat_handle_join(handle_id)",
    "CREATE INDEX chat_idx_chat_identifier ON chat(chat_identifier)",
)


def _columns(versions: dict[int, str], ios: int) -> str:
    return ", ".join(columns for since, columns in versions.items() if since <= ios)


def schema(ios: int) -> list[str]:
    """The CREATE statements of sms.db on iOS `ios`."""
    if ios not in SUPPORTED_IOS:
        raise ValueError(f"sms.db is written for iOS 14 to 18, not {ios}")
    tables = {"message": _MESSAGE_COLUMNS, "chat": _CHAT_COLUMNS, "handle": _HANDLE_COLUMNS}
    tables["attachment"] = _ATTACHMENT_COLUMNS
    creates = [f"CREATE TABLE {name} ({_columns(columns, ios)})" for name, columns in tables.items()]
    return creates + list(_FIXED_SCHEMA)


@dataclass
class _Rows:
    """Rows per table, in insertion order; the newest are split off into the `-wal`."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, **row: Any) -> None:
        self.tables.setdefault(table, []).append(row)


def _insert(connection: sqlite3.Connection, rows: _Rows) -> None:
    for table, table_rows in rows.tables.items():
        by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for row in table_rows:
            by_columns.setdefault(tuple(row), []).append(tuple(row.values()))
        for columns, values in by_columns.items():
            marks = ", ".join("?" * len(columns))
            connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)  # noqa: S608 - our own table names


_HANDLES = (
    ("+14155550101", "iMessage"),
    ("+14155550102", "SMS"),
    ("anna.müller@example.com", "iMessage"),
    ("+447700900123", "iMessage"),
    ("+14155550101", "SMS"),
)
_TEXTS = (
    "Are we still on for dinner?",
    "Yes! 7pm at the usual place 🍝",
    "Ich wohne in der Straße am See",
    "STRASSE or Straße, same thing",
    "Ça va? 😊",
    "日本語のメッセージ",
    "ok",
    "Running 10 min late, sorry",
    "Did you see the photos?",
    "Happy birthday!!! 🎂🎉",
    "Καλημέρα",
    "Let me check and get back to you",
    "Here's the address: 1 Infinite Loop",
    "Sounds good",
    "Пока!",
    "Can you call me back when you're free? " * 4,
)


def messages_entries(ios: int, *, wal: bool, seed: int = 0, scale: int | None = None) -> list[SyntheticEntry]:
    """sms.db (and its `-wal` when `wal`) for iOS `ios`, and the attachment files its rows point at.

    Tens of messages by default over four chats (one a group, one empty) with NULL texts, texts only in
    `attributedBody` (iOS 16 and later), attachments (one whose file is not in the backup, one without a
    filename) and a message in no chat; `scale` writes that many messages instead, for benchmarks."""
    rows, attachments, newest_from = _content(ios, random.Random(seed), scale)
    older, newest = _split(rows, newest_from)
    entries = database_entries(
        HOME, DATABASE, lambda c: _create(c, ios, older), lambda c: _insert(c, newest), wal=wal
    )
    return entries + [SyntheticFile(MEDIA, path, content) for path, content in attachments]


def _create(connection: sqlite3.Connection, ios: int, rows: _Rows) -> None:
    for statement in schema(ios):
        connection.execute(statement)
    connection.execute("INSERT INTO _SqliteDatabaseProperties VALUES ('counter_in_all', '0')")
    _insert(connection, rows)


def _split(rows: _Rows, newest_from: int) -> tuple[_Rows, _Rows]:
    """Messages from ROWID `newest_from` on, their joins and their attachments go to the `-wal`."""
    joins = rows.tables.get("message_attachment_join", [])
    newest_attachments = {join["attachment_id"] for join in joins if join["message_id"] >= newest_from}
    older, newest = _Rows(), _Rows()
    for table, table_rows in rows.tables.items():
        for row in table_rows:
            if table == "message":
                is_newest = row["ROWID"] >= newest_from
            elif table in ("chat_message_join", "message_attachment_join"):
                is_newest = row["message_id"] >= newest_from
            else:
                is_newest = table == "attachment" and row["ROWID"] in newest_attachments
            (newest if is_newest else older).add(table, **row)
    return older, newest


def _text_columns(ios: int, text: str | None, rng: random.Random, rowid: int) -> dict[str, Any]:
    """`text` and `attributedBody` as that iOS writes them: both before iOS 16, often the body alone after."""
    if text is None:
        return {"text": None, "attributedBody": None}
    body = attributed_body(text, mutable=rng.random() < 0.5, parts=1 + rowid % 3)
    body_only = ios >= 16 and rng.random() < 0.5
    return {"text": None if body_only else text, "attributedBody": body}


def _content(ios: int, rng: random.Random, scale: int | None) -> tuple[_Rows, list[tuple[str, bytes]], int]:
    rows = _Rows()
    for rowid, (address, service) in enumerate(_HANDLES, start=1):
        rows.add("handle", ROWID=rowid, id=address, country="us", service=service, uncanonicalized_id=address)
    if scale is not None:
        return _scaled(ios, rng, rows, scale)
    chats = (
        (1, "iMessage;-;+14155550101", "iMessage", "", 45, (1,)),
        (2, "SMS;-;+14155550102", "SMS", None, 45, (2,)),
        (3, "iMessage;+;chat738209411", "iMessage", "Família 🎉", 43, (1, 3, 4)),
        (4, "iMessage;-;anna.müller@example.com", "iMessage", None, 45, (3,)),
    )
    for rowid, guid, service, name, style, handles in chats:
        identifier = guid.rsplit(";", 1)[1]
        rows.add(
            "chat", ROWID=rowid, guid=guid, style=style, chat_identifier=identifier, service_name=service
        )
        rows.tables["chat"][-1]["display_name"] = name
        for handle in handles:
            rows.add("chat_handle_join", chat_id=rowid, handle_id=handle)
    plan = _plan(rng)
    files: list[tuple[str, bytes]] = []
    for rowid, (chat, handle, from_me, text, date) in enumerate(plan, start=1):
        service = "SMS" if chat == 2 else "iMessage"
        guid = str(uuid.UUID(int=rng.getrandbits(128))).upper()
        rows.add(
            "message",
            ROWID=rowid,
            guid=guid,
            **_text_columns(ios, text, rng, rowid),
            handle_id=handle,
            service=service,
            account="e:owner@example.com",
            date=date,
            date_read=date + 5 * _NS if not from_me else 0,
            date_delivered=date + _NS,
            is_from_me=int(from_me),
            is_sent=int(from_me),
            is_delivered=1,
            is_finished=1,
            is_read=int(not from_me),
            cache_roomnames="chat738209411" if chat == 3 else None,
        )
        if chat is not None:
            rows.add("chat_message_join", chat_id=chat, message_id=rowid, message_date=date)
    _attachments(rows, files, rng, len(plan))
    return rows, files, len(plan) - 5


def _plan(rng: random.Random) -> list[tuple[int | None, int, bool, str | None, int]]:
    """(chat, handle_id, from me, text, date) per message, oldest first; the last five go to the WAL."""
    plan: list[tuple[int | None, int, bool, str | None, int]] = []
    date = _JUNE_2023
    for index in range(32):
        chat = (1, 1, 3, 2, 3, 1)[index % 6]
        from_me = rng.random() < 0.4
        handle = {1: 1, 2: 2, 3: (1, 3, 4)[index % 3]}[chat]
        if from_me and chat == 3:
            handle = 0  # a group message from the phone names no handle
        date += rng.randrange(60, 86_400) * _NS + rng.randrange(_NS)
        plan.append((chat, handle, from_me, _TEXTS[index % len(_TEXTS)], date))
    plan[5] = (1, 1, False, None, plan[5][4])  # no text at all (an attachment-only message)
    plan[6] = (1, 1, True, "\ufffc", plan[6][4])  # the object replacement character Messages puts for a photo
    plan[9] = (3, 0, False, "Anna named the conversation “Família 🎉”", plan[9][4])  # a system message
    plan[12] = (plan[12][0], plan[12][1], plan[12][2], plan[12][3], plan[11][4])  # same time: ordered by id
    plan.append((None, 4, False, "A message left in no chat", date + 7 * _NS))
    for index in range(4):  # the newest (in the WAL when there is one)
        date += rng.randrange(60, 3_600) * _NS + rng.randrange(_NS)
        plan.append(((3, 1, 2, 3)[index], (4, 1, 2, 0)[index], index == 3, ("Newest " + "🆕" * index), date))
    return plan


def _attachments(rows: _Rows, files: list[tuple[str, bytes]], rng: random.Random, count: int) -> None:
    """Attachments on messages 6, 7 (two), 20, and the newest one; 20's file is not in the backup."""
    specs = (
        (6, "IMG_0001.jpeg", "image/jpeg", "public.jpeg", "~", True),
        (7, "Café au lait.jpeg", "image/jpeg", "public.jpeg", "/var/mobile", True),
        (7, "Anna Müller.vcf", "text/vcard", "public.vcard", "~", True),
        (20, "IMG_0002.HEIC", "image/heic", "public.heic", "~", False),
        (count - 1, None, None, None, None, False),
        (count, "IMG_0003.jpeg", "image/jpeg", "public.jpeg", "~", True),
    )
    for rowid, (message, name, mime, uti, root, stored) in enumerate(specs, start=1):
        guid = str(uuid.UUID(int=rng.getrandbits(128))).upper()
        content = jpeg(16, 12, rowid) if mime == "image/jpeg" else b"BEGIN:VCARD\r\nFN:Anna\r\nEND:VCARD\r\n"
        filename = None
        if name is not None:
            relative = f"Library/SMS/Attachments/{guid[:2].lower()}/{rowid:02d}/{guid}/{name}"
            filename = f"{root}/{relative}"
            if stored:
                files.append((relative, content))
        rows.add(
            "attachment",
            ROWID=rowid,
            guid=guid,
            original_guid=guid,
            created_date=_JUNE_2023 // _NS + rowid * 3600,  # seconds, unlike message.date
            filename=filename,
            uti=uti,
            mime_type=mime,
            transfer_name=name,
            total_bytes=len(content) if name is not None else 0,
            is_outgoing=0,
        )
        rows.add("message_attachment_join", message_id=message, attachment_id=rowid)


def _scaled(
    ios: int, rng: random.Random, rows: _Rows, count: int
) -> tuple[_Rows, list[tuple[str, bytes]], int]:
    """`count` messages over 50 chats (every tenth a group), a few hundred with an attachment row."""
    for chat in range(1, 51):
        rows.add(
            "chat", ROWID=chat, guid=f"iMessage;-;+1415555{chat:04d}", style=43 if chat % 10 == 0 else 45
        )
        rows.tables["chat"][-1].update(chat_identifier=f"+1415555{chat:04d}", service_name="iMessage")
        rows.tables["chat"][-1]["display_name"] = f"Group {chat}" if chat % 10 == 0 else ""
        for handle in (1, 3, 4) if chat % 10 == 0 else (1 + chat % 4,):
            rows.add("chat_handle_join", chat_id=chat, handle_id=handle)
    date = _JUNE_2023
    for rowid in range(1, count + 1):
        date += rng.randrange(1, 600) * _NS + rng.randrange(_NS)
        from_me = rowid % 3 == 0
        text = _TEXTS[rowid % len(_TEXTS)]
        rows.add(
            "message",
            ROWID=rowid,
            guid=f"{rowid:08X}-0000-4000-8000-{rng.getrandbits(48):012X}",
            **_text_columns(ios, text, rng, rowid),
            handle_id=0 if from_me else 1 + rowid % 4,
            service="iMessage",
            date=date,
            is_from_me=int(from_me),
        )
        rows.add("chat_message_join", chat_id=1 + rowid % 50, message_id=rowid, message_date=date)
    for rowid, message in enumerate(range(97, count + 1, max(1, count // 300)), start=1):
        name = f"IMG_{rowid:04d}.jpeg"
        guid = f"A{rowid:07X}-0000-4000-8000-000000000000"
        relative = f"Library/SMS/Attachments/{rowid % 256:02x}/{rowid % 16:02d}/{guid}/{name}"
        rows.add("attachment", ROWID=rowid, guid=guid, original_guid=guid, filename="~/" + relative)
        rows.tables["attachment"][-1].update(mime_type="image/jpeg", transfer_name=name, total_bytes=2048)
        rows.add("message_attachment_join", message_id=message, attachment_id=rowid)
    return rows, [], count + 1
