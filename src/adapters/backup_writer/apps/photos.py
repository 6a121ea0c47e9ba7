"""The Photos library of a phone: `CameraRollDomain` `Media/PhotoData/Photos.sqlite` and the originals its
assets point at (`Media/<ZDIRECTORY>/<ZFILENAME>`), with their thumbnails.

Schemas as iLEAPP's Photos.sqlite parsers (Scott Koenig's queries) read them: the assets are `ZASSET` from
iOS 14 and `ZGENERICASSET` before (`ios=13` writes that older table); iOS 16 added the shared library's
`ZLIBRARYSCOPE` and `ZACTIVELIBRARYSCOPEPARTICIPATIONSTATE`; iOS 18 has `ZADJUSTMENTSSTATE` where earlier
versions have `ZHASADJUSTMENTS`. Times are Core Data's (seconds since 2001, fractions kept); a location of
-180 is Photos' "none".
"""

import random
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ios_backup_api.adapters.backup_writer.apps.media_files import jpeg, quicktime_movie
from ios_backup_api.adapters.backup_writer.apps.sqlite_files import database_files
from ios_backup_api.adapters.backup_writer.spec import SyntheticDirectory, SyntheticEntry, SyntheticFile

DOMAIN = "CameraRollDomain"
DATABASE = "Media/PhotoData/Photos.sqlite"
NO_LOCATION = -180.0
SUPPORTED_IOS = range(13, 19)
_APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
_ASSET_ENTITY = 3
_ATTRIBUTES_ENTITY = 1


@dataclass(frozen=True, slots=True)
class GeneratedAsset:
    """One asset row as the generator writes it (what the tests know it wrote)."""

    pk: int
    directory: str | None
    filename: str
    kind: int
    """0 photo, 1 video (ZKIND)."""
    created: float | None
    width: int
    height: int
    duration: float
    favorite: int
    hidden: int
    trashed: int
    latitude: float
    longitude: float
    original_in_backup: bool = True

    @property
    def is_video(self) -> bool:
        return self.kind == 1


def asset_table(ios: int) -> str:
    return "ZASSET" if ios >= 14 else "ZGENERICASSET"


def photos_entries(ios: int, *, wal: bool, seed: int = 0, scale: int = 0) -> list[SyntheticEntry]:
    """Photos.sqlite (and its `-wal` holding the newest assets and edits when `wal`), the originals of its
    assets under `Media/DCIM/...` and a thumbnail beside each photo. `scale` adds that many plain photo rows
    (without originals) for benchmarks."""
    if ios not in SUPPORTED_IOS:
        raise ValueError(
            f"Photos libraries are written for iOS {SUPPORTED_IOS.start}-{SUPPORTED_IOS.stop - 1}"
        )
    older, newest, edits = _assets(seed)
    extra = _scaled(scale, seed, first_pk=len(older) + len(newest) + 1)
    table = asset_table(ios)

    def create(connection: sqlite3.Connection) -> None:
        _schema(connection, ios)
        _insert(connection, table, older + extra, ios)

    def newer(connection: sqlite3.Connection) -> None:
        _insert(connection, table, newest, ios)
        for pk, column, value in edits:
            connection.execute(
                f"UPDATE {table} SET {column} = ?, Z_OPT = Z_OPT + 1 WHERE Z_PK = ?",  # noqa: S608 - our names
                (value, pk),
            )
        connection.execute(
            "UPDATE Z_PRIMARYKEY SET Z_MAX = ? WHERE Z_ENT = ?",
            (_last_pk(older, newest, extra), _ASSET_ENTITY),
        )

    def everything(connection: sqlite3.Connection) -> None:
        create(connection)
        newer(connection)

    main, wal_bytes = database_files(create, newer) if wal else database_files(everything)
    entries: list[SyntheticEntry] = [
        SyntheticDirectory(DOMAIN, "Media"),
        SyntheticDirectory(DOMAIN, "Media/PhotoData"),
        SyntheticFile(DOMAIN, DATABASE, main),
    ]
    if wal_bytes is not None:
        entries.append(SyntheticFile(DOMAIN, DATABASE + "-wal", wal_bytes))
    entries += _originals(older + newest)
    return entries


def generated_assets(seed: int = 0) -> list[GeneratedAsset]:
    """The assets `photos_entries` writes for `seed` after its edits, in Z_PK order (without `scale`)."""
    older, newest, edits = _assets(seed)
    rows = {asset.pk: asset for asset in older + newest}
    for pk, column, value in edits:
        field = {"ZFAVORITE": "favorite", "ZTRASHEDSTATE": "trashed", "ZHIDDEN": "hidden"}[column]
        rows[pk] = _replace(rows[pk], field, value)
    return [rows[pk] for pk in sorted(rows)]


def _replace(asset: GeneratedAsset, field: str, value: int) -> GeneratedAsset:
    values = {name: getattr(asset, name) for name in asset.__dataclass_fields__}
    values[field] = value
    return GeneratedAsset(**values)


def _last_pk(*groups: list[GeneratedAsset]) -> int:
    return max((asset.pk for group in groups for asset in group), default=0)


def _seconds(moment: datetime) -> float:
    return (moment - _APPLE_EPOCH).total_seconds()


def _assets(seed: int) -> tuple[list[GeneratedAsset], list[GeneratedAsset], list[tuple[int, str, int]]]:
    """(rows in the main file, newest rows, edits made after them: (Z_PK, column, value))."""
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, 9, 30, tzinfo=UTC) + timedelta(days=rng.randrange(30))
    spots = [(48.8584, 2.2945), (-33.8568, 151.2153), (40.6892, -74.0445), (35.3606, 138.7274)]

    def at(days: float) -> float:
        return round(_seconds(start + timedelta(days=days)) + rng.randrange(1000) / 1000, 3)

    def photo(pk: int, name: str, created: float | None, **kw: object) -> GeneratedAsset:
        values: dict[str, object] = {
            "pk": pk,
            "directory": "DCIM/100APPLE",
            "filename": name,
            "kind": 0,
            "created": created,
            "width": 160,
            "height": 120,
            "duration": 0.0,
            "favorite": 0,
            "hidden": 0,
            "trashed": 0,
            "latitude": NO_LOCATION,
            "longitude": NO_LOCATION,
        }
        values.update(kw)
        return GeneratedAsset(**values)  # type: ignore[arg-type]

    paris, sydney, liberty, fuji = spots
    same_moment = at(3)
    older = [
        photo(1, "IMG_0001.JPG", at(0), latitude=paris[0], longitude=paris[1], favorite=1),
        photo(2, "IMG_0002.JPG", at(0.5)),
        photo(3, "IMG_0003.JPG", at(1), hidden=1, latitude=liberty[0], longitude=liberty[1]),
        photo(4, "IMG_0004.JPG", at(1.5), trashed=1),
        photo(
            5,
            "IMG_0005.MOV",
            at(2),
            kind=1,
            duration=3.5,
            width=192,
            height=108,
            latitude=sydney[0],
            longitude=sydney[1],
        ),
        photo(6, "IMG_0006.JPG", same_moment, width=120, height=160),
        photo(7, "IMG_0007.JPG", same_moment, favorite=1, latitude=fuji[0], longitude=fuji[1]),
        photo(8, "IMG_0008.JPG", None),
        photo(9, "Été à la plage 🌊.JPG", at(4), directory="DCIM/101APPLE"),
        photo(10, "IMG_0010.HEIC", at(5), directory=None, original_in_backup=False),
        photo(11, "IMG_0011.JPG", at(6), original_in_backup=False),
        photo(12, "IMG_0012.MOV", at(6.5), kind=1, duration=0.0, width=160, height=90, hidden=1),
    ]
    newest = [
        photo(13, "IMG_0013.JPG", at(10), latitude=sydney[0] + 0.01, longitude=sydney[1]),
        photo(14, "IMG_0014.MOV", at(10.25), kind=1, duration=12.75, width=192, height=108, favorite=1),
        photo(15, "IMG_0015.JPG", at(11), latitude=0.0, longitude=0.0),
    ]
    edits = [(2, "ZFAVORITE", 1), (11, "ZTRASHEDSTATE", 1), (3, "ZHIDDEN", 0)]
    return older, newest, edits


def _scaled(count: int, seed: int, first_pk: int) -> list[GeneratedAsset]:
    rng = random.Random(seed + 1)
    base = _seconds(datetime(2020, 1, 1, tzinfo=UTC))
    return [
        GeneratedAsset(
            first_pk + index,
            "DCIM/200APPLE",
            f"IMG_{first_pk + index:06d}.JPG",
            int(index % 5 == 0),
            base + rng.randrange(10**8) + rng.randrange(1000) / 1000,
            4032,
            3024,
            0.0,
            int(index % 7 == 0),
            int(index % 31 == 0),
            int(index % 53 == 0),
            NO_LOCATION,
            NO_LOCATION,
            False,
        )
        for index in range(count)
    ]


def _schema(connection: sqlite3.Connection, ios: int) -> None:
    adjustments = "ZADJUSTMENTSSTATE INTEGER" if ios >= 18 else "ZHASADJUSTMENTS INTEGER"
    shared_library = (
        "ZACTIVELIBRARYSCOPEPARTICIPATIONSTATE INTEGER, ZLIBRARYSCOPE INTEGER, " if ios >= 16 else ""
    )
    script = f"""
        CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
        CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
        CREATE TABLE {asset_table(ios)} (
            Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, {shared_library}
            ZAVALANCHEKIND INTEGER, ZAVALANCHEPICKTYPE INTEGER, ZCLOUDISMYASSET INTEGER, ZCOMPLETE INTEGER,
            ZFAVORITE INTEGER, {adjustments}, ZHEIGHT INTEGER, ZHIDDEN INTEGER, ZKIND INTEGER,
            ZKINDSUBTYPE INTEGER, ZORIENTATION INTEGER, ZPLAYBACKSTYLE INTEGER, ZSAVEDASSETTYPE INTEGER,
            ZTRASHEDSTATE INTEGER, ZVISIBILITYSTATE INTEGER, ZWIDTH INTEGER, ZADDITIONALATTRIBUTES INTEGER,
            ZMASTER INTEGER, ZMOMENT INTEGER, ZADDEDDATE TIMESTAMP, ZDATECREATED TIMESTAMP, ZDURATION FLOAT,
            ZLATITUDE FLOAT, ZLONGITUDE FLOAT, ZMODIFICATIONDATE TIMESTAMP, ZSORTTOKEN FLOAT,
            ZTRASHEDDATE TIMESTAMP, ZDIRECTORY VARCHAR, ZFILENAME VARCHAR, ZUNIFORMTYPEIDENTIFIER VARCHAR,
            ZUUID VARCHAR, ZLOCATIONDATA BLOB
        );
        CREATE INDEX Z_ASSET_ZDATECREATED ON {asset_table(ios)} (ZDATECREATED);
        CREATE TABLE ZADDITIONALASSETATTRIBUTES (
            Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZASSET INTEGER, ZORIGINALFILESIZE INTEGER,
            ZORIGINALHEIGHT INTEGER, ZORIGINALWIDTH INTEGER, ZTIMEZONEOFFSET INTEGER,
            ZORIGINALFILENAME VARCHAR, ZTIMEZONENAME VARCHAR, ZCREATORBUNDLEID VARCHAR
        );
        """
    for statement in script.split(";"):  # not executescript: it would commit the writer's transaction
        if statement.strip():
            connection.execute(statement)
    asset_entity = "Asset" if ios >= 14 else "GenericAsset"
    connection.executemany(
        "INSERT INTO Z_PRIMARYKEY VALUES (?, ?, 0, 0)",
        [(_ATTRIBUTES_ENTITY, "AdditionalAssetAttributes"), (_ASSET_ENTITY, asset_entity)],
    )
    connection.execute("INSERT INTO Z_METADATA VALUES (1, ?, NULL)", (str(uuid.UUID(int=ios)).upper(),))


_TYPES = {".JPG": "public.jpeg", ".HEIC": "public.heic", ".MOV": "com.apple.quicktime-movie"}


def _insert(connection: sqlite3.Connection, table: str, assets: list[GeneratedAsset], ios: int) -> None:
    for asset in assets:
        suffix = asset.filename[asset.filename.rfind(".") :].upper()
        trashed_at = asset.created + 86400 if asset.trashed and asset.created is not None else None
        connection.execute(
            f"""INSERT INTO {table} (Z_PK, Z_ENT, Z_OPT, ZAVALANCHEKIND, ZAVALANCHEPICKTYPE, ZCLOUDISMYASSET,
                ZCOMPLETE, ZFAVORITE, ZHEIGHT, ZHIDDEN, ZKIND, ZKINDSUBTYPE, ZORIENTATION, ZPLAYBACKSTYLE,
                ZSAVEDASSETTYPE, ZTRASHEDSTATE, ZVISIBILITYSTATE, ZWIDTH, ZADDITIONALATTRIBUTES, ZADDEDDATE,
                ZDATECREATED, ZDURATION, ZLATITUDE, ZLONGITUDE, ZMODIFICATIONDATE, ZSORTTOKEN, ZTRASHEDDATE,
                ZDIRECTORY, ZFILENAME, ZUNIFORMTYPEIDENTIFIER, ZUUID)
            VALUES (?, ?, 1, 0, 0, 1, 1, ?, ?, ?, ?, 0, 1, ?, 3, ?, 0,
                ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",  # noqa: S608 - the table name is ours
            (
                asset.pk,
                _ASSET_ENTITY,
                asset.favorite,
                asset.height,
                asset.hidden,
                asset.kind,
                4 if asset.is_video else 1,
                asset.trashed,
                asset.width,
                asset.pk,
                asset.created,
                asset.created,
                asset.duration,
                asset.latitude,
                asset.longitude,
                asset.created,
                asset.created,
                trashed_at,
                asset.directory,
                asset.filename,
                _TYPES.get(suffix, "public.jpeg"),
                str(uuid.UUID(int=asset.pk + (ios << 64))).upper(),
            ),
        )
        connection.execute(
            """INSERT INTO ZADDITIONALASSETATTRIBUTES (Z_PK, Z_ENT, Z_OPT, ZASSET, ZORIGINALHEIGHT,
                ZORIGINALWIDTH, ZTIMEZONEOFFSET, ZORIGINALFILENAME, ZTIMEZONENAME, ZCREATORBUNDLEID)
            VALUES (?, ?, 1, ?, ?, ?, 3600, ?, 'Europe/Paris', 'com.apple.camera')""",
            (asset.pk, _ATTRIBUTES_ENTITY, asset.pk, asset.height, asset.width, asset.filename),
        )
    if ios >= 16:
        connection.execute(
            f"UPDATE {table} SET ZLIBRARYSCOPE = 0, ZACTIVELIBRARYSCOPEPARTICIPATIONSTATE = 0"  # noqa: S608
        )


def _originals(assets: list[GeneratedAsset]) -> list[SyntheticEntry]:
    files: list[SyntheticFile] = []
    for asset in assets:
        if asset.directory is None or not asset.original_in_backup:
            continue
        taken = None if asset.created is None else _APPLE_EPOCH + timedelta(seconds=asset.created)
        path = f"Media/{asset.directory}/{asset.filename}"
        if asset.is_video:
            files.append(
                SyntheticFile(DOMAIN, path, quicktime_movie(asset.duration, asset.width, asset.height))
            )
            continue
        files.append(SyntheticFile(DOMAIN, path, jpeg(asset.width, asset.height, asset.pk, taken)))
        # the camera roll's grid thumbnail, where iOS keeps it: a folder named after the original
        thumbnail = f"Media/PhotoData/Thumbnails/V2/{asset.directory}/{asset.filename}/5005.JPG"
        files.append(SyntheticFile(DOMAIN, thumbnail, jpeg(asset.width // 2, asset.height // 2, asset.pk)))
    folders: dict[str, None] = {}
    for file in files:
        parts = file.relative_path.split("/")[:-1]
        for end in range(2, len(parts) + 1):  # Media and Media/PhotoData are written with the database
            folders.setdefault("/".join(parts[:end]))
    folders.pop("Media/PhotoData", None)
    directories: list[SyntheticEntry] = [SyntheticDirectory(DOMAIN, folder) for folder in folders]
    return directories + files
