"""A manifest many times larger than a connection's page cache reads back exact (every row, every byte of a
file) whichever way it is held: read page by page from its ciphertext, in a RAM file (/dev/shm), or in
SQLite's own memory (no /dev/shm). The rows are checked first against iphone_backup_decrypt's decryption of
the same backup, read with sqlite3."""

import asyncio
import os
import random
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from iphone_backup_decrypt import EncryptedBackup

from ios_backup_api.adapters.backup_writer.samples import rich_backup
from ios_backup_api.adapters.backup_writer.spec import (
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticEntry,
    SyntheticFile,
    SyntheticSymlink,
)
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.adapters.vault.manifest_pages import ManifestPages
from ios_backup_api.adapters.vault.manifest_records import DecodedRecords
from ios_backup_api.adapters.vault.paged_manifest import CACHE_KIB
from ios_backup_api.domain.errors import SessionRequiredError
from ios_backup_api.domain.manifest import ByteRange, EntryKind, FileId, FileQuery, ManifestEntry
from tests.support.backups import FAST_DPIC, FAST_ITER, PASSPHRASE
from tests.support.vault_cases import SERIAL, CountingLoader, expected_listing, folder_vault, ram_files

BACKUP_ID = "00008110-0000000000000042"
ROWS = 40_000
FILES_READ = 300
LOADERS: dict[str, Callable[[], CountingLoader]] = {
    "paged, records decoded": lambda: CountingLoader(ram_files(), SERIAL, paged_from=0),
    "paged, records read from the file": lambda: CountingLoader(ram_files(), SERIAL, paged_from=0),
    "ram-file": lambda: CountingLoader(ram_files(), SERIAL),
    "in-process, no /dev/shm": lambda: CountingLoader(None, SERIAL),
}


def _entries(count: int) -> list[SyntheticEntry]:
    """Rows in no order of their names (as a phone's backup writes them), of every kind."""
    chance = random.Random(count)
    domains = ["CameraRollDomain", "HomeDomain", "MediaDomain"] + [
        f"AppDomain-com.example.app{n}" for n in range(40)
    ]
    entries: list[SyntheticEntry] = []
    for n in range(count):
        domain = chance.choice(domains)
        path = (
            f"Library/{chance.choice(['Caches', 'Media', 'Preferences'])}/{chance.getrandbits(48):012x}-{n}"
        )
        pick = n % 10
        if pick < 6:
            entries.append(SyntheticDirectory(domain, path, modified_at=1_600_000_000 + n))
        elif pick < 9:
            entries.append(SyntheticFile(domain, f"{path}.bin", f"{n}".encode() * (n % 7 + 1)))
        else:
            entries.append(SyntheticSymlink(domain, path, f"/private/var/mobile/{n}"))
    return entries


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SyntheticBackup]:
    root = tmp_path_factory.mktemp("large")
    spec = replace(
        rich_backup(PASSPHRASE, FAST_DPIC, FAST_ITER), udid=BACKUP_ID, entries=tuple(_entries(ROWS))
    )
    write_backup(root / BACKUP_ID, spec, seed=7)
    return root, spec


def _oracle_rows(folder: Path, into: Path) -> list[tuple[str, str, str, int]]:
    """The Files rows of iphone_backup_decrypt's decryption of the manifest, read by sqlite3, in order."""
    EncryptedBackup(backup_directory=str(folder), passphrase=PASSPHRASE).save_manifest_file(str(into))
    with closing(sqlite3.connect(into)) as connection:
        return connection.execute(
            "SELECT fileID, domain, relativePath, flags FROM Files ORDER BY domain, relativePath, fileID"
        ).fetchall()


def test_the_large_manifest_is_larger_than_many_page_caches_and_its_rows_are_the_oracles(
    large: tuple[Path, SyntheticBackup], tmp_path: Path
) -> None:
    root, spec = large
    assert os.path.getsize(root / BACKUP_ID / "Manifest.db") > 4 * (CACHE_KIB << 10)
    flags = {EntryKind.FILE: 1, EntryKind.DIRECTORY: 2, EntryKind.SYMLINK: 4}
    expected = expected_listing(spec)
    assert _oracle_rows(root / BACKUP_ID, tmp_path / "Manifest.db") == [
        (entry.file_id, entry.domain, entry.relative_path, flags[entry.kind]) for entry in expected
    ]


@pytest.mark.parametrize("loader", list(LOADERS))
def test_every_row_and_every_byte_reads_back_exact(
    large: tuple[Path, SyntheticBackup], loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, spec = large
    if loader == "paged, records read from the file":
        monkeypatch.setattr(DecodedRecords, "decode", lambda self, *arguments: None)
    expected = expected_listing(spec)
    contents = {entry.file_id: entry.content for entry in spec.entries if isinstance(entry, SyntheticFile)}

    async def check() -> None:
        counting = LOADERS[loader]()
        handle = await folder_vault(root, counting).open(BACKUP_ID, PASSPHRASE)
        assert [database.paged for database in counting.loaded] == [loader.startswith("paged")]
        if loader == "paged, records decoded":
            counting.loaded[0].wait_completed()
        records = getattr(counting.loaded[0]._index, "records", None)  # which way it read
        assert (records is not None and records.complete) == (loader == "paged, records decoded")
        listed: list[ManifestEntry] = []
        while len(listed) < len(expected):
            page = await handle.files(FileQuery(limit=1000, offset=len(listed)))
            assert page.total == len(expected)
            listed.extend(page.items)
        assert listed == expected
        for file_id in random.Random(1).sample(sorted(contents), FILES_READ):
            content = await handle.content(FileId(file_id))
            read = b"".join([chunk async for chunk in content.read(ByteRange(0, content.length))])
            assert read == contents[file_id]
        app = "AppDomain-com.example.app7"
        page = await handle.files(FileQuery(domain=app, kind=EntryKind.SYMLINK, limit=1000))
        assert page.items == [e for e in expected if e.domain == app and e.kind is EntryKind.SYMLINK]
        await handle.close()

    asyncio.run(check())


def test_a_close_while_a_read_of_the_file_hangs_returns_and_the_reader_closes_up_after(
    large: tuple[Path, SyntheticBackup], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The records' decoding holds the connection while it reads a batch from the file; when that read
    hangs (a folder that stopped answering), a close returns anyway (it runs on a shared worker thread),
    every query is refused, and the connections are closed once the read returns."""
    root, _ = large
    hanging, blocked, released = threading.Event(), threading.Event(), threading.Event()
    read = ManifestPages.read

    def reading(pages: ManifestPages, amount: int, offset: int) -> bytes:
        if hanging.is_set():
            blocked.set()
            released.wait()
        return read(pages, amount, offset)

    monkeypatch.setattr(ManifestPages, "read", reading)
    counting = LOADERS["paged, records decoded"]()
    asyncio.run(folder_vault(root, counting).open(BACKUP_ID, PASSPHRASE))
    database = counting.loaded[0]
    database.wait_prepared()
    hanging.set()
    closer = threading.Thread(target=database.close)
    try:
        assert blocked.wait(10), "the records' decoding never read the file"
        closer.start()
        closer.join(5)
        assert not closer.is_alive(), "the close waited for the hung read"
        with pytest.raises(SessionRequiredError):
            database.files(FileQuery())
    finally:
        released.set()
        if closer.is_alive():
            closer.join()
    database.wait_completed()
    assert database._connection is None  # closed by the thread whose read hung
