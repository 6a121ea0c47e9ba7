"""The real vault's Manifest.db: decrypted into memory once per backup version, shared, checked."""

import asyncio
import os
import plistlib
import shutil
import sqlite3
import stat
import struct
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from ios_backup_api.adapters.backup_writer.spec import Layout, SyntheticBackup, SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.adapters.sql.ram_file import RamFiles
from ios_backup_api.adapters.vault.manifest_buffer import ManifestBuffer
from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase
from ios_backup_api.adapters.vault.manifest_queries import (
    MAX_DOMAIN_BYTES,
    MAX_DOMAIN_LIST_BYTES,
    MAX_DOMAINS,
    MAX_PAGE_BYTES,
    MAX_PATH_BYTES,
)
from ios_backup_api.adapters.vault.mbfile import MAX_RECORD_BYTES
from ios_backup_api.domain.errors import (
    CorruptBackupError,
    EntryNotFoundError,
    SessionRequiredError,
    WrongPassphraseError,
)
from ios_backup_api.domain.manifest import ByteRange, EntryKind, FileId, FileQuery
from tests.support import vault_cases
from tests.support.vault_cases import (
    LOADERS,
    RAM_FOLDER,
    SMALL_ID,
    CountingLoader,
    add_rows,
    expected_listing,
    folder_snapshot,
    folder_vault,
    opened_completed,
    ram_files,
    write_small,
)


@pytest.fixture(autouse=True, params=["ram-file", "paged"])
def default_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs over a manifest held in a RAM file and over one read page by page from its file."""
    monkeypatch.setattr(vault_cases, "DEFAULT_LOADER", [request.param])
    return str(request.param)


@pytest.fixture(params=[True, False], ids=["encrypted", "unencrypted"])
def small(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, SyntheticBackup]:
    return write_small(tmp_path / "backups", encrypted=request.param)


async def test_the_handles_of_a_backup_share_one_manifest_dropped_with_the_last(
    small: tuple[Path, SyntheticBackup],
) -> None:
    folder, spec = small
    loader = CountingLoader(ram_files())
    vault = folder_vault(folder.parent, loader)
    first = await vault.open(SMALL_ID, spec.passphrase)
    second = await vault.open_with_key(SMALL_ID, first.passphrase_key)
    assert len(loader.loaded) == 1
    await first.close()
    assert (await second.files(FileQuery())).total == len(expected_listing(spec))
    await second.close()
    with pytest.raises(SessionRequiredError):
        loader.loaded[0].files(FileQuery())  # its connection is closed: the memory is freed
    third = await vault.open(SMALL_ID, spec.passphrase)
    assert len(loader.loaded) == 2
    assert (await third.files(FileQuery())).total == len(expected_listing(spec))


async def test_handles_opened_at_once_load_the_manifest_once(small: tuple[Path, SyntheticBackup]) -> None:
    folder, spec = small
    loader = CountingLoader(ram_files())
    vault = folder_vault(folder.parent, loader)
    handles = await asyncio.gather(*(vault.open(SMALL_ID, spec.passphrase) for _ in range(5)))
    assert len(loader.loaded) == 1
    await asyncio.gather(*(handle.close() for handle in handles[:4]))
    assert (await handles[4].files(FileQuery())).total == len(expected_listing(spec))
    await handles[4].close()
    with pytest.raises(SessionRequiredError):
        loader.loaded[0].files(FileQuery())


async def test_a_rewritten_backup_gets_a_fresh_manifest_while_old_handles_keep_theirs(
    small: tuple[Path, SyntheticBackup],
) -> None:
    folder, spec = small
    loader = CountingLoader(ram_files())
    vault = folder_vault(folder.parent, loader)
    old = await vault.open(SMALL_ID, spec.passphrase)
    rewritten = replace(spec, entries=(*spec.entries, SyntheticFile("HomeDomain", "Library/new.txt", b"new")))
    shutil.rmtree(folder)
    write_backup(folder, rewritten, seed=4)
    new = await vault.open(SMALL_ID, spec.passphrase)
    assert len(loader.loaded) == 2
    assert (await old.files(FileQuery())).items == expected_listing(spec)
    assert (await new.files(FileQuery())).items == expected_listing(rewritten)
    await old.close()
    with pytest.raises(SessionRequiredError):
        loader.loaded[0].files(FileQuery())
    assert (await new.files(FileQuery())).total == len(expected_listing(rewritten))


def test_the_in_memory_manifest_keeps_temporary_tables_in_memory() -> None:
    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    connection.execute(
        "CREATE TABLE Files (fileID TEXT, domain TEXT, relativePath TEXT, flags INT, file BLOB)"
    )
    database = ManifestDatabase.opened(connection, 0)
    database.wait_prepared()
    # MEMORY: sorts and indexes never spill plaintext to disk.
    assert connection.execute("PRAGMA temp_store").fetchone() == (2,)
    database.close()


async def test_the_backup_folder_is_left_untouched(small: tuple[Path, SyntheticBackup]) -> None:
    folder, spec = small
    before = folder_snapshot(folder)
    handle = await folder_vault(folder.parent).open(SMALL_ID, spec.passphrase)
    await handle.files(FileQuery(path_like="%", limit=1000))
    for entry in (await handle.files(FileQuery(kind=EntryKind.FILE))).items:
        content = await handle.content(FileId(entry.file_id))
        [chunk async for chunk in content.read(ByteRange(0, content.length))]
    await handle.close()
    assert folder_snapshot(folder) == before


def _flip_last_padding_byte(data: bytes) -> bytes:
    # The last plaintext block of a page-aligned database is all padding (0x10); flipping the previous
    # ciphertext block's last byte turns it into 0x11, which is never valid padding.
    return data[:-17] + bytes([data[-17] ^ 1]) + data[-16:]


ENCRYPTED_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "cut off a block boundary": lambda data: data[:-5],
    "cut in half": lambda data: data[: len(data) // 32 * 16],
    "garbage": lambda data: os.urandom(len(data)),
    "bad padding": _flip_last_padding_byte,
}
PLAIN_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "cut in half": lambda data: data[: len(data) // 2],
    "first page only": lambda data: data[:4096],
    "zeroed pages": lambda data: data[:4096] + bytes(len(data) - 4096),
    "garbage": lambda data: os.urandom(len(data)),
}


@pytest.mark.parametrize("damage", list(ENCRYPTED_DAMAGE))
async def test_a_damaged_encrypted_manifest_db_is_corrupt(tmp_path: Path, damage: str) -> None:
    folder, spec = write_small(tmp_path, encrypted=True)
    manifest = folder / "Manifest.db"
    manifest.write_bytes(ENCRYPTED_DAMAGE[damage](manifest.read_bytes()))
    loader = CountingLoader(ram_files())
    with pytest.raises(CorruptBackupError, match=r"Manifest.db"):
        await folder_vault(tmp_path, loader).open(SMALL_ID, spec.passphrase)
    assert loader.loaded == []


@pytest.mark.parametrize("damage", list(PLAIN_DAMAGE))
async def test_a_damaged_plain_manifest_db_is_corrupt(tmp_path: Path, damage: str) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    manifest = folder / "Manifest.db"
    manifest.write_bytes(PLAIN_DAMAGE[damage](manifest.read_bytes()))
    with pytest.raises(CorruptBackupError, match=r"Manifest.db"):
        await folder_vault(tmp_path).open(SMALL_ID, None)


async def test_a_manifest_db_without_a_files_table_or_file_is_corrupt(tmp_path: Path) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.execute("ALTER TABLE Files RENAME TO Other")
        connection.commit()
    vault = folder_vault(tmp_path)
    with pytest.raises(CorruptBackupError, match="no Files table"):
        await vault.open(SMALL_ID, None)
    (folder / "Manifest.db").unlink()
    with pytest.raises(CorruptBackupError, match=r"Manifest.db is missing"):
        await vault.open(SMALL_ID, None)


def _oversized_record() -> bytes:
    archive = {
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": plistlib.UID(1)},
        "$objects": ["$null", {"Size": 5, "Mode": 0o100644, "ProtectionClass": 3, "Padding": plistlib.UID(2)},
                     "x" * (100 * 1024)],
    }  # fmt: skip
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


async def test_unreadable_records_give_unknown_fields(tmp_path: Path) -> None:
    folder, spec = write_small(tmp_path, encrypted=False)
    listing = {entry.relative_path: entry for entry in expected_listing(spec)}
    damaged: dict[str, object] = {
        "Library/sixteen.bin": b"garbage",
        "Library/notes.txt": _oversized_record(),
        "Library": None,
        "Library/link": "a text, not a blob",
    }
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        for path, record in damaged.items():
            connection.execute("UPDATE Files SET file = ? WHERE relativePath = ?", (record, path))
        connection.commit()
    handle = await folder_vault(tmp_path).open(SMALL_ID, None)
    page = await handle.files(FileQuery(domain="HomeDomain"))
    assert [entry.relative_path for entry in page.items] == [
        "",
        "Library",
        "Library/link",
        "Library/notes.txt",
        "Library/sixteen.bin",
    ]
    assert page.total == 5
    for entry in page.items:
        if entry.relative_path in damaged:
            expected = listing[entry.relative_path]
            assert (entry.file_id, entry.kind) == (expected.file_id, expected.kind)
            assert (entry.size, entry.mode, entry.modified_at, entry.protection_class, entry.link_target) == (
                None,
                None,
                None,
                None,
                None,
            )
    sixteen = listing["Library/sixteen.bin"]
    content = await handle.content(FileId(sixteen.file_id))
    assert [chunk async for chunk in content.read(ByteRange(0, content.length))] == [b"0123456789abcdef"]


def _record_of_mode(mode: int) -> bytes:
    archive = {
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": plistlib.UID(1)},
        "$objects": ["$null", {"Size": 3, "Mode": mode, "ProtectionClass": 3, "LastModified": 1_500_000_000}],
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


@pytest.mark.parametrize("loader", ["ram-file", "in-process"])
async def test_rows_of_other_flags_are_entries_of_the_kind_their_mode_tells(
    tmp_path: Path, loader: str
) -> None:
    """The kind comes from the flags (1, 2, 4), else from the file type of the record's Mode, else is None:
    such rows are listed, counted and served, and are in the kind filter of their Mode's kind (or in none)."""
    folder, spec = write_small(tmp_path, encrypted=False)
    listing = expected_listing(spec)
    other_flags: dict[str, object] = {
        "Library/sixteen.bin": 0,
        "Library/notes.txt": 16,
        "Library/link": 8,
        "Library": None,
        "": "x",
    }
    unknown = {
        "Library/fifo": (16, _record_of_mode(stat.S_IFIFO | 0o644)),
        "Library/no-record": (8, None),
        "Library/no-flags": (None, b"garbage"),
    }
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        for path, flags in other_flags.items():
            connection.execute("UPDATE Files SET flags = ? WHERE relativePath = ?", (flags, path))
        connection.executemany(
            "INSERT INTO Files VALUES (?, 'HomeDomain', ?, ?, ?)",
            ((f"{n:040x}", path, *row) for n, (path, row) in enumerate(unknown.items())),
        )
        connection.commit()
    handle = await folder_vault(tmp_path, LOADERS[loader]()).open(SMALL_ID, None)
    page = await handle.files(FileQuery(limit=1000))
    assert page.total == len(listing) + len(unknown)
    assert [entry for entry in page.items if entry.relative_path not in unknown] == listing
    assert {
        entry.relative_path: entry.kind for entry in page.items if entry.relative_path in unknown
    } == dict.fromkeys(unknown)
    for kind in EntryKind:
        of_kind = await handle.files(FileQuery(kind=kind, limit=1000))
        assert of_kind.items == [entry for entry in listing if entry.kind is kind], kind
        assert of_kind.total == len(of_kind.items)
        assert (await handle.files(FileQuery(domain="HomeDomain", kind=kind, limit=1))).total == sum(
            entry.kind is kind for entry in listing if entry.domain == "HomeDomain"
        )
    home = await handle.files(FileQuery(domain="HomeDomain", path_like="Library/%", limit=1000))
    assert home.total == 3 + len(unknown)
    assert await handle.domains() == sorted({entry.domain for entry in listing})
    sixteen = next(entry for entry in listing if entry.relative_path == "Library/sixteen.bin")
    content = await handle.content(FileId(sixteen.file_id))
    assert [chunk async for chunk in content.read(ByteRange(0, content.length))] == [b"0123456789abcdef"]
    for n in range(len(unknown)):
        with pytest.raises(EntryNotFoundError):
            await handle.content(FileId(f"{n:040x}"))
    await handle.close()


def test_without_room_for_the_order_index_rows_of_other_flags_are_still_filtered_by_their_mode() -> None:
    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    connection.execute(
        "CREATE TABLE Files (fileID TEXT, domain TEXT, relativePath TEXT, flags INT, file BLOB)"
    )
    modes = {"a.txt": stat.S_IFREG | 0o644, "b": stat.S_IFDIR | 0o755, "c": stat.S_IFIFO | 0o644}
    connection.executemany(
        "INSERT INTO Files VALUES (?, 'HomeDomain', ?, ?, ?)",
        [(f"{n:040x}", path, flags, _record_of_mode(mode)) for n, (path, mode) in enumerate(modes.items())
         for flags in [(0, 8, 16)[n]]],
    )  # fmt: skip
    (pages,) = connection.execute("PRAGMA page_count").fetchone()
    connection.execute(f"PRAGMA max_page_count = {pages}")  # no page to spare for an index
    database = ManifestDatabase.opened(connection, 0)
    database.wait_prepared()
    assert not database._indexed  # the case under test: pages are found by scans
    assert [entry.kind for entry in database.files(FileQuery()).items] == [
        EntryKind.FILE,
        EntryKind.DIRECTORY,
        None,
    ]
    for kind, paths in ((EntryKind.FILE, ["a.txt"]), (EntryKind.DIRECTORY, ["b"]), (EntryKind.SYMLINK, [])):
        page = database.files(FileQuery(kind=kind))
        assert ([entry.relative_path for entry in page.items], page.total) == (paths, len(paths))
    database.close()


async def test_rows_with_null_keys_are_not_entries_and_break_nothing(tmp_path: Path) -> None:
    folder, spec = write_small(tmp_path, encrypted=False)
    record = _record_of_mode(stat.S_IFREG | 0o644)
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.executemany(
            "INSERT INTO Files VALUES (?, ?, ?, ?, ?)",
            [
                (None, "HomeDomain", "Library/no-id", 1, record),
                (f"{1:040x}", None, "Library/no-domain", 1, record),
                (f"{2:040x}", "NullDomain", None, 1, record),
                (None, None, None, None, None),
            ],
        )
        connection.commit()
    handle = await folder_vault(tmp_path).open(SMALL_ID, None)
    listing = expected_listing(spec)
    assert (await handle.files(FileQuery(limit=1000))).items == listing
    assert (await handle.files(FileQuery(kind=EntryKind.FILE, limit=2, offset=1))).total == sum(
        entry.kind is EntryKind.FILE for entry in listing
    )
    assert await handle.domains() == sorted({entry.domain for entry in listing})
    for n in (1, 2):
        with pytest.raises(EntryNotFoundError):
            await handle.content(FileId(f"{n:040x}"))


async def test_a_ram_file_that_cannot_be_made_falls_back_to_sqlites_own_copy(
    small: tuple[Path, SyntheticBackup], tmp_path: Path
) -> None:
    folder, spec = small
    loader = CountingLoader(RamFiles(tmp_path / "no-such-folder"))
    handle = await folder_vault(folder.parent, loader).open(SMALL_ID, spec.passphrase)
    assert (await handle.files(FileQuery(limit=1000))).items == expected_listing(spec)
    assert len(loader.loaded) == 1


async def test_the_ram_file_is_nameless_and_in_the_ram_folder(small: tuple[Path, SyntheticBackup]) -> None:
    folder, spec = small
    before = _ram_files_held()
    handle = await folder_vault(folder.parent, CountingLoader(ram_files())).open(SMALL_ID, spec.passphrase)
    ours = _ram_files_held() - before
    assert ours, "SQLite holds the RAM file open"
    assert all(target.startswith(f"{RAM_FOLDER}/") and target.endswith(" (deleted)") for _, target in ours)
    await handle.close()
    assert not ours & _ram_files_held(), "closing the last handle closes the RAM file"


def _ram_files_held() -> set[tuple[str, str]]:
    """(descriptor, target) of this process's open files named like the service's RAM files."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "/ios-backup-api-" in target:
            held.add((fd, target))
    return held


PLAIN_FILES = "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags, file BLOB)"
SCHEMAS_NO_BACKUP_HAS = {
    "generated column": (
        "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT GENERATED ALWAYS AS"
        " (printf('%.*c', 20000000, 'x')) VIRTUAL, relativePath TEXT, flags INTEGER, file BLOB)",
        "generated columns",
    ),
    "virtual table": (
        "CREATE VIRTUAL TABLE Files USING fts5(fileID, domain, relativePath, flags, file)",
        "virtual table",
    ),
    "trigger": (
        f"{PLAIN_FILES}; CREATE TRIGGER grow AFTER INSERT ON Files BEGIN SELECT 1; END",
        "triggers or views",
    ),
    "view": (
        f"{PLAIN_FILES}; CREATE VIEW big AS SELECT printf('%.*c', 20000000, 'x')",
        "triggers or views",
    ),
}


@pytest.mark.parametrize("schema", list(SCHEMAS_NO_BACKUP_HAS))
async def test_a_manifest_db_that_runs_sql_of_its_own_is_refused(tmp_path: Path, schema: str) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    manifest = folder / "Manifest.db"
    with closing(sqlite3.connect(manifest)) as connection:
        rows = connection.execute("SELECT fileID, domain, relativePath, flags, file FROM Files").fetchall()
        connection.execute("DROP TABLE Files")
        connection.executescript(SCHEMAS_NO_BACKUP_HAS[schema][0])
        if schema != "generated column":
            connection.executemany("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", rows)
        connection.commit()
    with pytest.raises(CorruptBackupError, match=SCHEMAS_NO_BACKUP_HAS[schema][1]):
        await folder_vault(tmp_path).open(SMALL_ID, None)


def _record_with_a_huge_size() -> bytes:
    """A record whose Size is an integer of 16 KiB, as a hostile file may write (plistlib reads it)."""
    archive = plistlib.dumps(
        {"$archiver": "NSKeyedArchiver", "$top": {"root": plistlib.UID(1)},
         "$objects": ["$null", {"Size": 2**64 - 1, "Mode": 0o100644, "ProtectionClass": 3}]},
        fmt=plistlib.FMT_BINARY,
    )  # fmt: skip
    marker = b"\x14" + (2**64 - 1).to_bytes(16, "big")  # plistlib's 16-byte integer...
    assert marker in archive
    # ...made 16 KiB wide: the offsets after it move, so the offset table is rewritten.
    start = archive.index(marker)
    wide = b"\x1e" + (2**131072 - 1).to_bytes(16384, "big")
    rebuilt = archive[:start] + wide + archive[start + len(marker) :]
    shift = len(wide) - len(marker)
    offset_size, ref_size, count, top, table = struct.unpack(">6xBBQQQ", archive[-32:])
    offsets = [int.from_bytes(archive[table + i * offset_size : table + (i + 1) * offset_size], "big")
               for i in range(count)]  # fmt: skip
    moved = [offset + shift if offset > start else offset for offset in offsets]
    width = 4
    body = rebuilt[: table + shift]
    trailer = struct.pack(">6xBBQQQ", width, ref_size, count, top, len(body))
    return body + b"".join(offset.to_bytes(width, "big") for offset in moved) + trailer


async def test_rows_with_text_that_is_not_utf8_or_absurd_integers_are_listed_with_what_can_be_read(
    tmp_path: Path,
) -> None:
    folder, spec = write_small(tmp_path, encrypted=False)
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.execute(
            "UPDATE Files SET domain = CAST(X'486f6d65ff446f6d61696e' AS TEXT) WHERE relativePath = 'Library'"
        )
        connection.execute(
            "UPDATE Files SET file = ? WHERE relativePath = 'Library/sixteen.bin'",
            (_record_with_a_huge_size(),),
        )
        connection.commit()
    handle = await folder_vault(tmp_path).open(SMALL_ID, None)
    page = await handle.files(FileQuery(limit=1000))
    assert page.total == len(expected_listing(spec))
    assert "Home\ufffdDomain" in await handle.domains()
    sixteen = next(entry for entry in page.items if entry.relative_path == "Library/sixteen.bin")
    assert (sixteen.size, sixteen.mode, sixteen.protection_class) == (None, 0o100644, 3)


async def test_flags_and_records_of_text_that_is_not_utf8_are_no_flags_and_no_record(tmp_path: Path) -> None:
    """As the mode tells, or nothing: listed, filtered, looked up and (read page by page) decoded with the
    rest, never failing the listing or the manifest's preparation."""
    folder, spec = write_small(tmp_path, encrypted=False)
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.execute("UPDATE Files SET flags = CAST(X'31ff' AS TEXT) WHERE relativePath = 'Library'")
        connection.execute(
            "UPDATE Files SET file = CAST(X'62ff' AS TEXT) WHERE relativePath = 'Library/link'"
        )
        connection.commit()
    handle = await opened_completed(tmp_path)
    page = await handle.files(FileQuery(limit=1000))
    assert page.total == len(expected_listing(spec))
    by_path = {entry.relative_path: entry for entry in page.items if entry.domain == "HomeDomain"}
    assert by_path["Library"].kind is EntryKind.DIRECTORY  # its record's mode tells it
    assert (by_path["Library/link"].kind, by_path["Library/link"].size) == (EntryKind.SYMLINK, None)
    folders = await handle.files(FileQuery(domain="HomeDomain", kind=EntryKind.DIRECTORY))
    assert "Library" in [entry.relative_path for entry in folders.items]
    assert await handle.domains() == sorted({entry.domain for entry in expected_listing(spec)})
    sixteen = next(entry for entry in page.items if entry.relative_path == "Library/sixteen.bin")
    content = await handle.content(FileId(sixteen.file_id))
    assert [chunk async for chunk in content.read(ByteRange(0, content.length))] == [b"0123456789abcdef"]
    await handle.close()


async def test_a_files_table_of_its_own_collation_is_read_as_it_declares(tmp_path: Path) -> None:
    """A crafted Files table (a domain compared without case) is held in memory, where its declarations
    rule, rather than read page by page: both ways then answer alike."""
    folder, _ = write_small(tmp_path, encrypted=False)
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        connection.executescript(
            "ALTER TABLE Files RENAME TO Old;"
            " CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT COLLATE NOCASE, relativePath TEXT,"
            " flags INTEGER, file BLOB);"
            " INSERT INTO Files SELECT * FROM Old; DROP TABLE Old;"
        )
    loader = vault_cases.LOADERS[vault_cases.DEFAULT_LOADER[0]]()
    handle = await folder_vault(tmp_path, loader).open(SMALL_ID, None)
    assert [database.paged for database in loader.loaded] == [False]
    home = await handle.files(FileQuery(domain="homedomain", limit=1000))
    assert home.total > 0  # NOCASE, as the table declares
    await handle.close()


@pytest.mark.parametrize("layout", list(Layout))
async def test_a_manifest_larger_than_the_read_ahead_bound_is_read_only_for_a_right_passphrase(
    tmp_path: Path, layout: Layout
) -> None:
    _, spec = write_small(tmp_path, encrypted=True, layout=layout)
    bounded = CountingLoader(ram_files(), read_ahead_max=0)
    vault = folder_vault(tmp_path, bounded)
    with pytest.raises(WrongPassphraseError):
        await vault.open(SMALL_ID, "a wrong guess")
    await asyncio.sleep(0.2)  # time for a read beside the derivation, were one started
    assert bounded.reads == 0, "a wrong guess costs no read of the manifest"
    handle = await vault.open(SMALL_ID, spec.passphrase)
    assert bounded.reads == 1
    assert (await handle.files(FileQuery())).total == len(expected_listing(spec))
    unbounded = CountingLoader(ram_files())
    await folder_vault(tmp_path, unbounded).open(SMALL_ID, spec.passphrase)
    assert (unbounded.ahead_kept, unbounded.reads) == ([True], 1), "below the bound it is read beside the key"


class _HeldReadAhead(CountingLoader):
    """Its read ahead starts only once `release` is set (after the attempt it serves has ended), and records
    what it returned."""

    def __init__(self) -> None:
        super().__init__(ram_files())
        self.started = threading.Event()
        self.release = threading.Event()
        self.returned: list[ManifestBuffer | None] = []
        self.done = threading.Event()
        self.calls = 0

    def read_ahead(self, path: Path, stop: threading.Event) -> ManifestBuffer | None:
        self.calls += 1
        self.started.set()
        self.release.wait()
        try:
            self.returned.append(super().read_ahead(path, stop))
            return self.returned[-1]
        finally:
            self.done.set()


async def _read_ahead_after(loader: _HeldReadAhead) -> list[ManifestBuffer | None]:
    loader.release.set()
    await asyncio.to_thread(loader.done.wait)
    return loader.returned


async def test_a_wrong_passphrase_stops_the_read_ahead(tmp_path: Path) -> None:
    write_small(tmp_path, encrypted=True)
    loader = _HeldReadAhead()
    with pytest.raises(WrongPassphraseError):
        await folder_vault(tmp_path, loader).open(SMALL_ID, "a wrong guess")
    assert await _read_ahead_after(loader) == [None], "nothing is read for an attempt that failed"
    assert loader.reads == 0


async def test_a_cancelled_unlock_stops_the_read_ahead(tmp_path: Path) -> None:
    _, spec = write_small(tmp_path, encrypted=True)
    loader = _HeldReadAhead()
    opening = asyncio.ensure_future(folder_vault(tmp_path, loader).open(SMALL_ID, spec.passphrase))
    await asyncio.to_thread(loader.started.wait)
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    assert await _read_ahead_after(loader) == [None], "nothing is read for an attempt that went away"
    assert loader.reads == 0


async def test_a_backup_is_read_ahead_once_at_a_time_until_that_read_is_freed(tmp_path: Path) -> None:
    write_small(tmp_path, encrypted=True)
    loader = _HeldReadAhead()
    vault = folder_vault(tmp_path, loader)
    for _ in range(2):
        with pytest.raises(WrongPassphraseError):
            await vault.open(SMALL_ID, "a wrong guess")
    assert await _read_ahead_after(loader) == [None]
    assert loader.calls == 1, "the second guess started no read of its own"


async def test_rows_with_names_longer_than_any_phones_are_not_entries(tmp_path: Path) -> None:
    folder, spec = write_small(tmp_path, encrypted=False)
    longest = "Library/" + "p" * (MAX_PATH_BYTES - 8)
    add_rows(
        folder,
        [
            ("HomeDomain", longest, b""),
            ("HomeDomain", longest + "p", b""),
            ("HomeDomain", "Library/" + "é" * (MAX_PATH_BYTES // 2 - 3), b""),  # bytes, not characters
            ("D" * MAX_DOMAIN_BYTES, "Library/a", b""),
            ("D" * (MAX_DOMAIN_BYTES + 1), "Library/a", b""),
        ],
    )
    handle = await folder_vault(tmp_path).open(SMALL_ID, None)
    page = await handle.files(FileQuery(limit=1000))
    assert page.total == len(expected_listing(spec)) + 2
    assert {entry.relative_path for entry in page.items} >= {longest}
    assert longest + "p" not in {entry.relative_path for entry in page.items}
    assert "D" * MAX_DOMAIN_BYTES in await handle.domains()
    assert "D" * (MAX_DOMAIN_BYTES + 1) not in await handle.domains()
    with pytest.raises(EntryNotFoundError):
        await handle.content(FileId(f"{1:040x}"))


async def test_a_page_too_large_to_be_real_is_refused_and_a_smaller_one_served(tmp_path: Path) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    record = os.urandom(MAX_RECORD_BYTES - 1024)
    count = MAX_PAGE_BYTES // len(record) + 1
    add_rows(folder, [("ZDomain", f"Library/{n:04}", record) for n in range(count)])
    handle = await folder_vault(tmp_path).open(SMALL_ID, None)
    with pytest.raises(CorruptBackupError, match=r"hold over 8 MiB.*ask for fewer entries"):
        await handle.files(FileQuery(domain="ZDomain", limit=count))
    page = await handle.files(FileQuery(domain="ZDomain", limit=count - 1))
    assert len(page.items) == count - 1


async def test_a_pages_names_count_against_its_bound_once_its_records_are_decoded(tmp_path: Path) -> None:
    """Records that alone fit the bound, and names that tip it: refused read from the file and read from
    the records decoded after the unlock alike (each row weighed once, when decoded)."""
    folder, _ = write_small(tmp_path, encrypted=False)
    count, path = 1000, "Library/" + "n" * 200
    record = os.urandom(MAX_PAGE_BYTES // count - 64)  # with its names a row weighs about 200 bytes more
    add_rows(folder, [("ZDomain", f"{path}{n:04}", record) for n in range(count)])
    handle = await opened_completed(tmp_path)
    with pytest.raises(CorruptBackupError, match=r"hold over 8 MiB"):
        await handle.files(FileQuery(domain="ZDomain", limit=count))
    assert len((await handle.files(FileQuery(domain="ZDomain", limit=count - 100))).items) == count - 100
    # A run of the listing of every match is refused as its page is, though its JSON lines are short.
    with pytest.raises(CorruptBackupError, match=r"hold over 8 MiB"):
        await handle.run(FileQuery(domain="ZDomain", limit=count))
    assert (await handle.run(FileQuery(domain="ZDomain", limit=count - 100))).count == count - 100
    await handle.close()


async def test_flags_settled_by_the_mode_weigh_as_settled_once_the_records_are_decoded(
    tmp_path: Path,
) -> None:
    """Text flags are no flags: the record's mode gives the row its kind's flags, and the page weighs those,
    not the text (which alone would pass the bound), whichever way the manifest is held."""
    folder, _ = write_small(tmp_path, encrypted=False)
    count = 1000
    with closing(sqlite3.connect(folder / "Manifest.db")) as connection:
        (record,) = connection.execute("SELECT file FROM Files WHERE relativePath = 'Library'").fetchone()
        connection.executemany(
            "INSERT INTO Files VALUES (?, 'ZDomain', ?, ?, ?)",
            ((f"{n:040x}", f"Library/{n:04}", "x" * (MAX_PAGE_BYTES // count), record) for n in range(count)),
        )
        connection.commit()
    handle = await opened_completed(tmp_path)
    page = await handle.files(FileQuery(domain="ZDomain", limit=count))
    assert {entry.kind for entry in page.items} == {EntryKind.DIRECTORY}
    assert page.total == len(page.items) == count
    await handle.close()


async def test_records_too_large_to_read_are_not_fetched_and_count_for_nothing(tmp_path: Path) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    count = MAX_PAGE_BYTES // MAX_RECORD_BYTES + 1
    add_rows(folder, [("ZDomain", f"Library/{n:04}", bytes(MAX_RECORD_BYTES + 1)) for n in range(count)])
    handle = await folder_vault(tmp_path).open(SMALL_ID, None)
    page = await handle.files(FileQuery(domain="ZDomain", limit=count))
    assert [(entry.size, entry.mode) for entry in page.items] == [(None, None)] * count


@pytest.mark.parametrize("domains", [MAX_DOMAINS - 2, MAX_DOMAINS - 1], ids=["at the bound", "past it"])
async def test_a_domain_list_longer_than_any_phones_is_refused(tmp_path: Path, domains: int) -> None:
    folder, spec = write_small(tmp_path, encrypted=False)  # HomeDomain and CameraRollDomain, and these
    add_rows(folder, [(f"AppDomain-{n}", "Library", b"") for n in range(domains)])
    handle = await folder_vault(tmp_path).open(SMALL_ID, None)
    assert (await handle.files(FileQuery())).total == len(expected_listing(spec)) + domains
    if domains + 2 <= MAX_DOMAINS:
        assert len(await handle.domains()) == MAX_DOMAINS
    else:
        with pytest.raises(CorruptBackupError, match=r"more domains than a phone has"):
            await handle.domains()


async def test_a_domain_list_of_more_names_than_any_phones_is_refused(tmp_path: Path) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    count = MAX_DOMAIN_LIST_BYTES // MAX_DOMAIN_BYTES + 1
    add_rows(folder, [(f"{n:04}".ljust(MAX_DOMAIN_BYTES, "d"), "Library", b"") for n in range(count)])
    handle = await folder_vault(tmp_path).open(SMALL_ID, None)
    with pytest.raises(CorruptBackupError, match=r"or over 4 MiB of names"):
        await handle.domains()
