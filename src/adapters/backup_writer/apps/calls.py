"""CallHistory.storedata as iOS 14 to 18 leave it in a backup (`HomeDomain`, `Library/CallHistoryDB/`).

A Core Data store: `ZCALLRECORD` holds one row per call (`ZDATE` seconds since 2001 with their fraction,
`ZDURATION` seconds, `ZORIGINATED` 1 for a call the phone placed, `ZANSWERED` 1 for one the phone's user
picked up, `ZCALLTYPE` 1 phone, 8 FaceTime video, 16 FaceTime audio, 0 another app's (CallKit) call,
`ZSERVICE_PROVIDER` the service's bundle id), `ZHANDLE` the other parties and `Z_2REMOTEPARTICIPANTHANDLES`
links the two for group calls. Up to iOS 14 `ZADDRESS` is a BLOB holding the UTF-8 bytes of the number or
address (readers decode it); later it is a VARCHAR. Later releases add columns (spam scoring, emergency,
screen sharing, trust scores) that the writer adds as each version has them.
"""

import plistlib
import random
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from ios_backup_api.adapters.backup_writer.apps.database_entries import database_entries
from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry

DOMAIN = "HomeDomain"
FOLDER = "Library/CallHistoryDB"
PATH = f"{FOLDER}/CallHistory.storedata"
IOS_VERSIONS = (14, 15, 16, 17, 18)
TELEPHONY, FACETIME, WHATSAPP = "com.apple.Telephony", "com.apple.FaceTime", "net.whatsapp.WhatsApp"
PHONE_CALL, FACETIME_VIDEO, FACETIME_AUDIO, APP_CALL = 1, 8, 16, 0

_RECORD_COLUMNS: tuple[tuple[int, str], ...] = (
    (14, "Z_PK INTEGER PRIMARY KEY"),
    (14, "Z_ENT INTEGER"),
    (14, "Z_OPT INTEGER"),
    (14, "ZANSWERED INTEGER"),
    (14, "ZCALL_CATEGORY INTEGER"),
    (14, "ZCALLTYPE INTEGER"),
    (14, "ZDISCONNECTED_CAUSE INTEGER"),
    (14, "ZFACE_TIME_DATA INTEGER"),
    (14, "ZFILTERED_OUT_REASON INTEGER"),
    (14, "ZHANDLE_TYPE INTEGER"),
    (16, "ZHASMESSAGE INTEGER"),
    (14, "ZJUNKCONFIDENCE INTEGER"),
    (14, "ZNUMBER_AVAILABILITY INTEGER"),
    (14, "ZORIGINATED INTEGER"),
    (14, "ZREAD INTEGER"),
    (16, "ZSCREENSHARINGTYPE INTEGER"),
    (17, "ZUSEDEMERGENCYVIDEOSTREAMING INTEGER"),
    (14, "ZVERIFICATIONSTATUS INTEGER"),
    (16, "ZWASEMERGENCYCALL INTEGER"),
    (16, "ZAUTOANSWEREDREASON INTEGER"),
    (17, "ZCALLDIRECTORYIDENTITYTYPE INTEGER"),
    (18, "ZCOMMUNICATIONTRUSTSCORE INTEGER"),
    (18, "ZNEEDEDSCANNOUNCEMENT INTEGER"),
    (17, "ZORIGINATINGUITYPE INTEGER"),
    (17, "ZINITIATOR INTEGER"),
    (14, "ZDATE TIMESTAMP"),
    (14, "ZDURATION FLOAT"),
    (16, "ZBLOCKEDBYEXTENSION VARCHAR"),
    (17, "ZBLOCKEDBYEXTENSIONNAME VARCHAR"),
    (16, "ZIDENTITYEXTENSION VARCHAR"),
    (14, "ZISO_COUNTRY_CODE VARCHAR"),
    (14, "ZJUNKIDENTIFICATIONCATEGORY VARCHAR"),
    (14, "ZLOCATION VARCHAR"),
    (14, "ZNAME VARCHAR"),
    (17, "ZORIGINATINGDEVICENAME VARCHAR"),
    (14, "ZSERVICE_PROVIDER VARCHAR"),
    (14, "ZUNIQUE_ID VARCHAR"),
    (17, "ZIMAGEURL VARCHAR"),
    (14, "ZCONVERSATIONID BLOB"),
    (14, "ZLOCALPARTICIPANTUUID BLOB"),
    (14, "ZOUTGOINGLOCALPARTICIPANTUUID BLOB"),
    (14, "ZPARTICIPANTGROUPUUID BLOB"),
    (18, "ZREMINDERUUID BLOB"),
)
_OTHER_TABLES = (
    "CREATE TABLE ZCALLDBPROPERTIES (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, "
    "ZTIMER_ALL FLOAT, ZTIMER_INCOMING FLOAT, ZTIMER_LAST FLOAT, ZTIMER_LIFETIME FLOAT, "
    "ZTIMER_OUTGOING FLOAT)",
    "CREATE TABLE ZHANDLE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZTYPE INTEGER, "
    "ZNORMALIZEDVALUE VARCHAR, ZVALUE VARCHAR)",
    "CREATE TABLE Z_2REMOTEPARTICIPANTHANDLES (Z_2REMOTEPARTICIPANTCALLS INTEGER, "
    "Z_4REMOTEPARTICIPANTHANDLES INTEGER, "
    "PRIMARY KEY (Z_2REMOTEPARTICIPANTCALLS, Z_4REMOTEPARTICIPANTHANDLES))",
    "CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER)",
    "CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB)",
    "CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB)",
    "CREATE INDEX Z_CallRecord_date ON ZCALLRECORD (ZDATE COLLATE BINARY ASC)",
    "CREATE INDEX Z_2REMOTEPARTICIPANTHANDLES_Z_4REMOTEPARTICIPANTHANDLES_INDEX ON "
    "Z_2REMOTEPARTICIPANTHANDLES (Z_4REMOTEPARTICIPANTHANDLES, Z_2REMOTEPARTICIPANTCALLS)",
)
_ENTITIES = ((1, "CallDBProperties"), (2, "CallRecord"), (3, "EmergencyMediaItem"), (4, "Handle"))
_APRIL_2023 = 702_000_000.0
_NUMBERS = ("+4915112345678", "+4917098765432", "+14155550123", "+442079460958", "030 1234567", "112")
_EMAILS = ("anna@icloud.com", "Jonas.Weber@me.com", "zoë@example.de")


@dataclass(frozen=True, slots=True)
class _Call:
    date: float | None
    address: str | None
    originated: int
    answered: int
    duration: float
    call_type: int = PHONE_CALL
    provider: str | None = TELEPHONY
    name: str | None = None
    participants: tuple[str, ...] = ()
    """The other parties of a group call (`ZHANDLE` rows); a 1:1 call has its address as its one handle."""


def calls_entries(ios: int, *, wal: bool, seed: int = 0, scale: int = 0) -> list[SyntheticEntry]:
    """The call history of iOS `ios`: a few dozen calls, incoming and outgoing, answered and missed, phone,
    FaceTime audio and video and another app's (`scale` more random ones for a benchmark); with `wal`, the
    newest calls (and a deletion and an edit) are in `CallHistory.storedata-wal` only. Deterministic given
    `seed`."""
    if ios not in IOS_VERSIONS:
        raise ValueError(f"no CallHistory schema for iOS {ios}")
    rng = random.Random(seed)
    calls = _fixed_calls() + [_random_call(rng, index) for index in range(14 + scale)]
    writer = _Writer(ios, rng)
    return database_entries(
        DOMAIN,
        PATH,
        lambda connection: writer.create(connection, calls),
        lambda connection: writer.change(connection, _newest_calls(rng)),
        wal=wal,
    )


def record_table(ios: int) -> str:
    columns = [column for since, column in _RECORD_COLUMNS if ios >= since]
    address = "ZADDRESS BLOB" if ios <= 14 else "ZADDRESS VARCHAR"
    return f"CREATE TABLE ZCALLRECORD ({', '.join([*columns, address])})"


def _fixed_calls() -> list[_Call]:
    day = 86_400.0
    return [
        _Call(_APRIL_2023 + 0.123456, "+4915112345678", 0, 1, 312.5, name="Anna Müller"),
        _Call(_APRIL_2023 + day, "+4915112345678", 0, 0, 0.0),
        _Call(_APRIL_2023 + 2 * day, "+14155550123", 1, 0, 61.25),
        _Call(_APRIL_2023 + 2 * day + 30, "+14155550123", 1, 0, 0.0),
        _Call(_APRIL_2023 + 3 * day, "+442079460958", 1, 1, 15.0),
        _Call(_APRIL_2023 + 4 * day, "anna@icloud.com", 0, 1, 1234.75, FACETIME_VIDEO, FACETIME),
        _Call(_APRIL_2023 + 4 * day, "zoë@example.de", 1, 0, 45.0, FACETIME_AUDIO, FACETIME, "Zoë"),
        _Call(_APRIL_2023 + 5 * day, "+4917098765432", 0, 1, 99.0, APP_CALL, WHATSAPP, "Jonas (WhatsApp)"),
        _Call(_APRIL_2023 + 6 * day, None, 0, 0, 0.0, name="Unbekannt"),
        _Call(_APRIL_2023 + 7 * day, "", 0, 0, 0.0),
        _Call(
            _APRIL_2023 + 8 * day,
            None,
            1,
            0,
            600.0,
            FACETIME_VIDEO,
            FACETIME,
            "Familie 👨‍👩‍👧",
            ("anna@icloud.com", "Jonas.Weber@me.com", "+4915112345678"),
        ),
        _Call(_APRIL_2023 + 9 * day, "112", 1, 0, 8.0, provider=None),
        _Call(_APRIL_2023 - 400 * day, "030 1234567", 0, 1, 3600.0, name="STRASSENBAHN Büro"),
    ]


def _random_call(rng: random.Random, index: int) -> _Call:
    originated = rng.randrange(2)
    answered = 0 if originated else rng.randrange(2)
    connected = (originated and rng.random() < 0.7) or answered
    kind = rng.choice((PHONE_CALL, PHONE_CALL, PHONE_CALL, FACETIME_AUDIO, FACETIME_VIDEO))
    address = rng.choice(_EMAILS if kind != PHONE_CALL and rng.random() < 0.5 else _NUMBERS)
    return _Call(
        _APRIL_2023 - (index + 1) * 3_600.0 * rng.randrange(1, 48) + rng.random(),
        address,
        originated,
        answered,
        round(rng.uniform(1, 900), 3) if connected else 0.0,
        kind,
        TELEPHONY if kind == PHONE_CALL else FACETIME,
    )


def _newest_calls(rng: random.Random) -> list[_Call]:
    later = _APRIL_2023 + 30 * 86_400.0
    return [
        _Call(later + 0.5, "+4915112345678", 1, 0, 42.0, name="Anna Müller"),
        _Call(later + 0.5, "+442079460958", 0, 0, 0.0),
        _Call(later + 3_600, "Jonas.Weber@me.com", 0, 1, 77.125, FACETIME_AUDIO, FACETIME),
        _Call(later + 7_200 + rng.random(), rng.choice(_NUMBERS), 1, 0, 0.0),
    ]


class _Writer:
    """Writes calls as Core Data does: a primary key per entity in `Z_PRIMARYKEY`, handles once each."""

    def __init__(self, ios: int, rng: random.Random) -> None:
        self._ios = ios
        self._rng = rng
        self._handles: dict[str, int] = {}
        self._last_call = 0

    def create(self, connection: sqlite3.Connection, calls: Sequence[_Call]) -> None:
        connection.execute(record_table(self._ios))
        for statement in _OTHER_TABLES:
            connection.execute(statement)
        connection.executemany("INSERT INTO Z_PRIMARYKEY VALUES (?, ?, 0, 0)", _ENTITIES)
        model = plistlib.dumps(
            {"NSStoreType": "SQLite", "NSStoreModelVersionIdentifiers": [f"iOS {self._ios}"]},
            fmt=plistlib.FMT_BINARY,
        )
        connection.execute("INSERT INTO Z_METADATA VALUES (1, ?, ?)", (self._uuid_text(), model))
        connection.execute(
            "INSERT INTO ZCALLDBPROPERTIES VALUES (1, 1, 1, 0.0, 0.0, 0.0, 0.0, 0.0)",
        )
        self._insert(connection, calls)

    def change(self, connection: sqlite3.Connection, calls: Sequence[_Call]) -> None:
        """The newest changes: calls added, one given a name, one deleted (as the Recents list does)."""
        self._insert(connection, calls)
        connection.execute("UPDATE ZCALLRECORD SET ZNAME = 'Praxis Dr. Öz', Z_OPT = Z_OPT + 1 WHERE Z_PK = 5")
        connection.execute("DELETE FROM Z_2REMOTEPARTICIPANTHANDLES WHERE Z_2REMOTEPARTICIPANTCALLS = 4")
        connection.execute("DELETE FROM ZCALLRECORD WHERE Z_PK = 4")

    def _insert(self, connection: sqlite3.Connection, calls: Sequence[_Call]) -> None:
        for call in calls:
            self._last_call += 1
            address: str | bytes | None = call.address
            if call.address is not None and self._ios <= 14:
                address = call.address.encode()
            columns = {
                "Z_PK": self._last_call,
                "Z_ENT": 2,
                "Z_OPT": 1,
                "ZANSWERED": call.answered,
                "ZCALL_CATEGORY": 2 if call.call_type == FACETIME_VIDEO else 1,
                "ZCALLTYPE": call.call_type,
                "ZDISCONNECTED_CAUSE": 0 if call.duration or call.answered else 6,
                "ZFACE_TIME_DATA": int(call.duration * 2_000) if call.provider == FACETIME else None,
                "ZHANDLE_TYPE": 3 if call.address and "@" in call.address else 2,
                "ZJUNKCONFIDENCE": 0,
                "ZNUMBER_AVAILABILITY": 0,
                "ZORIGINATED": call.originated,
                "ZREAD": 1,
                "ZVERIFICATIONSTATUS": 0,
                "ZDATE": call.date,
                "ZDURATION": call.duration,
                "ZISO_COUNTRY_CODE": "de",
                "ZLOCATION": "Deutschland" if call.provider == TELEPHONY else None,
                "ZNAME": call.name,
                "ZSERVICE_PROVIDER": call.provider,
                "ZUNIQUE_ID": self._uuid_text(),
                "ZLOCALPARTICIPANTUUID": self._rng.randbytes(16),
                "ZADDRESS": address,
            }
            if self._ios >= 16:
                columns |= {"ZHASMESSAGE": 0, "ZWASEMERGENCYCALL": int(call.address == "112")}
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            connection.execute(f"INSERT INTO ZCALLRECORD ({names}) VALUES ({marks})", tuple(columns.values()))  # noqa: S608 - the writer's own column names
            handles = call.participants or ((call.address,) if call.address else ())
            for handle in handles:
                connection.execute(
                    "INSERT INTO Z_2REMOTEPARTICIPANTHANDLES VALUES (?, ?)",
                    (self._last_call, self._handle(connection, handle)),
                )
        connection.execute("UPDATE Z_PRIMARYKEY SET Z_MAX = ? WHERE Z_ENT = 2", (self._last_call,))
        connection.execute("UPDATE Z_PRIMARYKEY SET Z_MAX = ? WHERE Z_ENT = 4", (len(self._handles),))

    def _handle(self, connection: sqlite3.Connection, value: str) -> int:
        if value not in self._handles:
            key = self._handles[value] = len(self._handles) + 1
            kind = 3 if "@" in value else 2
            connection.execute(
                "INSERT INTO ZHANDLE VALUES (?, 4, 1, ?, ?, ?)", (key, kind, value.casefold(), value)
            )
        return self._handles[value]

    def _uuid_text(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4)).upper()
