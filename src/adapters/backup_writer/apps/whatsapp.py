"""WhatsApp's ChatStorage.sqlite (Core Data) as a backup holds it, with the media files its rows point at.

Tables and columns as iLEAPP's and mvt's WhatsApp parsers read them: ZWACHATSESSION, ZWAMESSAGE, ZWAMEDIAITEM
(`ZVCARDSTRING` holds a media item's MIME type, or a contact card's vCard), ZWAGROUPMEMBER, ZWAGROUPINFO;
times are Core Data seconds since 2001. Media are in the app group's domain at `Message/` + ZMEDIALOCALPATH
(`Media/<jid>/<x>/<y>/<uuid>.<ext>`, iLEAPP's `*/Message/Media/*/*/*/*.*`). WhatsApp's schema follows the
app's version rather than iOS's: the columns added per `ios` stand for the builds that ran on each.
"""

import random
import sqlite3
import uuid
from typing import Any

from ios_backup_api.adapters.backup_writer.apps.database_entries import database_entries
from ios_backup_api.adapters.backup_writer.apps.media_files import jpeg
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry, SyntheticFile

DOMAIN = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared"
DATABASE = "ChatStorage.sqlite"
MEDIA_ROOT = "Message/"
_CORE_DATA = "Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER"
_TABLES: dict[str, dict[int, str]] = {
    "ZWACHATSESSION": {
        14: "ZARCHIVED INTEGER, ZCONTACTABID INTEGER, ZFLAGS INTEGER, ZHIDDEN INTEGER, "
        "ZMESSAGECOUNTER INTEGER, ZREMOVED INTEGER, ZSESSIONTYPE INTEGER, ZSPOTLIGHTSTATUS INTEGER, "
        "ZUNREADCOUNT INTEGER, "
        "ZGROUPINFO INTEGER, ZLASTMESSAGE INTEGER, ZPROPERTIES INTEGER, ZLASTMESSAGEDATE TIMESTAMP, "
        "ZLOCATIONSHARINGENDDATE TIMESTAMP, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTJID VARCHAR, ZETAG VARCHAR, "
        "ZLASTMESSAGETEXT VARCHAR, ZPARTNERNAME VARCHAR, ZSAVEDINPUT VARCHAR",
        15: "ZIDENTITYVERIFICATIONEPOCH INTEGER, ZIDENTITYVERIFICATIONSTATE INTEGER",
        17: "ZLIDJID VARCHAR",
    },
    "ZWAMESSAGE": {
        14: "ZCHILDMESSAGESDELIVEREDCOUNT INTEGER, ZCHILDMESSAGESPLAYEDCOUNT INTEGER, "
        "ZCHILDMESSAGESREADCOUNT INTEGER, ZDATAITEMVERSION INTEGER, ZDOCID INTEGER, ZENCRETRYCOUNT INTEGER, "
        "ZFILTEREDRECIPIENTCOUNT INTEGER, ZFLAGS INTEGER, ZGROUPEVENTTYPE INTEGER, ZISFROMME INTEGER, "
        "ZMESSAGEERRORSTATUS INTEGER, ZMESSAGESTATUS INTEGER, ZMESSAGETYPE INTEGER, ZSORT INTEGER, "
        "ZSPOTLIGHTSTATUS INTEGER, ZSTARRED INTEGER, ZCHATSESSION INTEGER, ZGROUPMEMBER INTEGER, "
        "ZLASTSESSION INTEGER, ZMEDIAITEM INTEGER, ZMESSAGEINFO INTEGER, ZPARENTMESSAGE INTEGER, "
        "ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR, ZMEDIASECTIONID VARCHAR, "
        "ZPHASH VARCHAR, ZPUSHNAME VARCHAR, ZSTANZAID VARCHAR, ZTEXT VARCHAR, ZTOJID VARCHAR",
        16: "ZBACKUPSTATE INTEGER",
        18: "ZMESSAGEADDONFLAGS INTEGER",
    },
    "ZWAMEDIAITEM": {
        14: "ZCLOUDSTATUS INTEGER, ZFILESIZE INTEGER, ZMEDIAORIGIN INTEGER, ZMOVIEDURATION INTEGER, "
        "ZMESSAGE INTEGER, ZASPECTRATIO FLOAT, ZHACCURACY FLOAT, ZLATITUDE FLOAT, ZLONGITUDE FLOAT, "
        "ZMEDIAURLDATE TIMESTAMP, ZAUTHORNAME VARCHAR, ZCOLLECTIONNAME VARCHAR, ZMEDIALOCALPATH VARCHAR, "
        "ZMEDIAURL VARCHAR, ZTHUMBNAILLOCALPATH VARCHAR, ZTITLE VARCHAR, ZVCARDNAME VARCHAR, "
        "ZVCARDSTRING VARCHAR, ZXMPPTHUMBPATH VARCHAR, ZMEDIAKEY BLOB, ZMETADATA BLOB",
        17: "ZRAWDATA BLOB",
    },
    "ZWAGROUPMEMBER": {
        14: "ZCONTACTABID INTEGER, ZISACTIVE INTEGER, ZISADMIN INTEGER, ZSENDERKEYSENT INTEGER, "
        "ZCHATSESSION INTEGER, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTNAME VARCHAR, ZFIRSTNAME VARCHAR, "
        "ZMEMBERJID VARCHAR",
        16: "ZMEMBERLID VARCHAR",
    },
    "ZWAMESSAGEDATAITEM": {
        14: "ZINDEX INTEGER, ZMESSAGE INTEGER, ZCONTENT1 VARCHAR, ZCONTENT2 VARCHAR, ZMATCHEDTEXT VARCHAR, "
        "ZSECTIONID VARCHAR, ZSUMMARY VARCHAR, ZTITLE VARCHAR",
    },
    "ZWAGROUPINFO": {
        14: "ZSTATE INTEGER, ZCHATSESSION INTEGER, ZCREATIONDATE TIMESTAMP, ZSUBJECTTIMESTAMP TIMESTAMP, "
        "ZCREATORJID VARCHAR, ZOWNERJID VARCHAR, ZPICTUREID VARCHAR, ZPICTUREPATH VARCHAR, "
        "ZSOURCEJID VARCHAR, ZSUBJECTOWNERJID VARCHAR",
    },
}
_FIXED = (
    "CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER)",
    "CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB)",
    "CREATE INDEX ZWAMESSAGE_ZCHATSESSION_INDEX ON ZWAMESSAGE (ZCHATSESSION)",
    "CREATE INDEX ZWAMESSAGE_ZMESSAGEDATE_INDEX ON ZWAMESSAGE (ZMESSAGEDATE)",
    "CREATE INDEX ZWAMESSAGE_ZGROUPMEMBER_INDEX ON ZWAMESSAGE (ZGROUPMEMBER)",
    "CREATE INDEX ZWAMEDIAITEM_ZMESSAGE_INDEX ON ZWAMEDIAITEM (ZMESSAGE)",
    "CREATE INDEX ZWAGROUPMEMBER_ZCHATSESSION_INDEX ON ZWAGROUPMEMBER (ZCHATSESSION)",
)
_ENTITIES = {"ZWACHATSESSION": 1, "ZWAGROUPINFO": 2, "ZWAGROUPMEMBER": 3, "ZWAMEDIAITEM": 4, "ZWAMESSAGE": 5}
_ENTITIES["ZWAMESSAGEDATAITEM"] = 6
_JUNE_2023 = 707_270_400.0  # 2023-06-01T00:00:00Z in seconds since 2001


def schema(ios: int) -> list[str]:
    if not 14 <= ios <= 18:
        raise ValueError(f"ChatStorage.sqlite is written for iOS 14 to 18, not {ios}")
    creates = []
    for table, versions in _TABLES.items():
        columns = ", ".join(columns for since, columns in versions.items() if since <= ios)
        creates.append(f"CREATE TABLE {table} ({_CORE_DATA}, {columns})")
    return creates + list(_FIXED)


Row = tuple[str, dict[str, Any]]

_CHATS = (
    (1, "14155550101@s.whatsapp.net", "Anna 🌸", 0),
    (2, "120363041234567890@g.us", "Climbing crew 🧗", 1),
    (3, "447700900123@s.whatsapp.net", None, 0),
    (4, "4915112345678@s.whatsapp.net", "Jörg", 0),
)
_MEMBERS: tuple[tuple[int, str, str | None], ...] = (
    (1, "14155550101@s.whatsapp.net", "Anna"),
    (2, "447700900123@s.whatsapp.net", None),
    (3, "33612345678@s.whatsapp.net", "Élodie"),
)
_TEXTS = (
    "Hey! Are you coming Saturday? https://example.com/crag",
    "Ja, klar 👍",
    "STRASSE gesperrt, nimm die Straße am Fluss",
    "Photo from the crag",
    None,
    "Ça marche",
    "🧗‍♀️🧗‍♂️",
    "See you at 9",
    "Mañana?",
    "ok",
)
# (ZMESSAGETYPE, file name, MIME type, content or None when the file is not in the backup)
_MEDIA = {
    1: ("jpg", "image/jpeg"),
    2: ("mp4", "video/mp4"),
    3: ("opus", "audio/ogg; codecs=opus"),
    8: ("pdf", "application/pdf"),
}


def whatsapp_entries(ios: int, *, wal: bool, seed: int = 0) -> list[SyntheticEntry]:
    """ChatStorage.sqlite (and its `-wal` when `wal`, holding the newest messages) and its media files.

    Four chats (a group with three members, one without a name, one without messages), about thirty
    messages: texts, a caption-less photo, a video whose file is not in the backup, a voice note, a PDF, a
    contact card and a location (media rows without a file), unicode, two messages at the same time."""
    rng = random.Random(seed)
    rows, files = _content(rng)
    split = next(i for i, (table, row) in enumerate(rows) if table == "ZWAMESSAGE" and row["Z_PK"] > 26)
    older, newest = rows[:split], rows[split:]
    entries = database_entries(
        DOMAIN, DATABASE, lambda c: _create(c, ios, older), lambda c: _insert(c, newest), wal=wal
    )
    return entries + [SyntheticFile(DOMAIN, MEDIA_ROOT + path, content) for path, content in files]


def _create(connection: sqlite3.Connection, ios: int, rows: list[Row]) -> None:
    for statement in schema(ios):
        connection.execute(statement)
    connection.executemany(
        "INSERT INTO Z_PRIMARYKEY VALUES (?, ?, 0, 0)", [(e, n[1:]) for n, e in _ENTITIES.items()]
    )
    connection.execute("INSERT INTO Z_METADATA VALUES (1, ?, NULL)", (str(uuid.UUID(int=7)).upper(),))
    _insert(connection, rows)


def _insert(connection: sqlite3.Connection, rows: list[Row]) -> None:
    for table, row in rows:
        row = {"Z_ENT": _ENTITIES[table], "Z_OPT": 1, **row}
        names = ", ".join(row)
        marks = ", ".join("?" * len(row))
        connection.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608


def _content(rng: random.Random) -> tuple[list[Row], list[tuple[str, bytes]]]:
    rows: list[Row] = []
    for pk, jid, name, kind in _CHATS:
        session = {"Z_PK": pk, "ZCONTACTJID": jid, "ZPARTNERNAME": name, "ZSESSIONTYPE": kind}
        rows.append(("ZWACHATSESSION", session | {"ZGROUPINFO": 1 if kind == 1 else None, "ZARCHIVED": 0}))
    rows.append(("ZWAGROUPINFO", {"Z_PK": 1, "ZCHATSESSION": 2, "ZCREATIONDATE": _JUNE_2023 - 86_400.0}))
    for pk, jid, first in _MEMBERS:
        rows.append(
            ("ZWAGROUPMEMBER", {"Z_PK": pk, "ZCHATSESSION": 2, "ZMEMBERJID": jid, "ZFIRSTNAME": first})
        )
    files: list[tuple[str, bytes]] = []
    date, media_pk = _JUNE_2023, 0
    for pk in range(1, 31):
        chat = (1, 2, 2, 3, 1, 2)[pk % 6]
        from_me = rng.random() < 0.35
        member = None if from_me or chat != 2 else 1 + pk % 3
        kind = {5: 1, 9: 2, 13: 3, 17: 8, 21: 4, 25: 5, 28: 1}.get(pk, 0)
        date += rng.randrange(30, 20_000) + rng.randrange(1000) / 1000
        jid = _CHATS[chat - 1][1]
        text = _TEXTS[pk % len(_TEXTS)] if kind in (0, 1) else None
        message = {
            "Z_PK": pk,
            "ZCHATSESSION": chat,
            "ZISFROMME": int(from_me),
            "ZMESSAGETYPE": kind,
            "ZMESSAGEDATE": date if pk != 12 else rows[-1][1]["ZMESSAGEDATE"],  # 12 at 11's time
            "ZSENTDATE": date,
            "ZTEXT": text,
            "ZFROMJID": None if from_me else jid,
            "ZTOJID": jid if from_me else None,
            "ZGROUPMEMBER": member,
            "ZSTANZAID": f"3EB0{rng.getrandbits(64):016X}",
            "ZSORT": pk,
        }
        rows.append(("ZWAMESSAGE", message))
        if text is not None and "https://" in text:  # the link preview WhatsApp keeps beside it
            preview = {
                "Z_PK": pk,
                "ZMESSAGE": pk,
                "ZMATCHEDTEXT": "https://example.com/crag",
                "ZTITLE": "Crag",
            }
            rows.append(("ZWAMESSAGEDATAITEM", preview))
        if kind:
            media_pk += 1
            rows.append(("ZWAMEDIAITEM", _media_item(media_pk, pk, kind, jid, files, rng)))
    rows.append(("ZWAMESSAGE", {"Z_PK": 31, "ZCHATSESSION": None, "ZISFROMME": 0, "ZMESSAGEDATE": date}))
    return rows, files


def _media_item(
    pk: int, message: int, kind: int, jid: str, files: list[tuple[str, bytes]], rng: random.Random
) -> dict[str, Any]:
    item: dict[str, Any] = {"Z_PK": pk, "ZMESSAGE": message}
    if kind == 4:
        card = "BEGIN:VCARD\nVERSION:3.0\nFN:Élodie Martin\nTEL:+33612345678\nEND:VCARD"
        return item | {"ZVCARDNAME": "Élodie Martin", "ZVCARDSTRING": card}
    if kind == 5:
        return item | {"ZLATITUDE": 45.8326, "ZLONGITUDE": 6.8652, "ZTITLE": "Chamonix"}
    extension, mime = _MEDIA[kind]
    name = f"{uuid.UUID(int=rng.getrandbits(128))}.{extension}"
    path = f"Media/{jid}/{rng.randrange(16):x}/{rng.randrange(16):x}/{name}"
    content = {1: jpeg(24, 16, message), 3: b"OggS\x00\x02" + bytes(58), 8: b"%PDF-1.4\n%%EOF\n"}.get(kind)
    if content is not None:
        files.append((path, content))
    size = len(content) if content is not None else 1_048_576
    return item | {"ZMEDIALOCALPATH": path, "ZVCARDSTRING": mime, "ZFILESIZE": size, "ZMOVIEDURATION": 0}
