"""Manifest.db read page by page from its ciphertext (adapters/vault/manifest_pages): every read is the bytes
a whole decryption gives there (cryptography's AES-CBC over the whole file is the reference), read ahead or
not; the VFS opens nothing but the manifests registered with it and writes nothing; the file's descriptor
is closed once the manifest is."""

import asyncio
import os
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import apsw
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.backup_folder.file_work import FileWork
from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.vault import paged_manifest
from ios_backup_api.adapters.vault.manifest_pages import (
    READ_AHEAD,
    VFS_NAME,
    ManifestPages,
    PagesFile,
    pages_vfs,
)
from ios_backup_api.adapters.vault.manifest_records import DecodedRecords
from ios_backup_api.adapters.vault.paged_manifest import pages_of
from ios_backup_api.adapters.vault.vault import IosBackupVault
from ios_backup_api.domain.errors import CorruptBackupError, SessionRequiredError
from ios_backup_api.domain.manifest import FileQuery
from tests.support.vault_cases import SERIAL, SMALL_ID, CountingLoader, write_small

KEY = bytes(range(32))
PAGE = 4096


def _encrypted(plaintext: bytes, key: bytes = KEY) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def _reference(ciphertext: bytes, key: bytes = KEY) -> bytes:
    """The whole file decrypted at once and unpadded: what every read must match."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    plain = unpadder.update(padded) + unpadder.finalize()
    if plain[18:20] == b"\x02\x02":  # a WAL database is read as a rollback-journal one
        plain = plain[:18] + b"\x01\x01" + plain[20:]
    return plain


def _file_of(data: bytes, stack: ExitStack) -> int:
    handle = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - the stack closes it
    handle.write(data)
    handle.flush()
    return os.dup(handle.fileno())


def _plaintext(body: bytes, wal: bool, encoding: int = 1) -> bytes:
    """An SQLite header (magic, the version bytes, the text encoding: 1 is UTF-8) over `body`."""
    data = bytearray(b"SQLite format 3\x00" + bytes(2) + (b"\x02\x02" if wal else b"\x01\x01") + body)
    data[56:60] = encoding.to_bytes(4, "big")
    return bytes(data)


reads = st.lists(
    st.tuples(st.integers(0, 5 * PAGE), st.integers(1, 2 * PAGE), st.integers(0, 4)), min_size=1, max_size=12
)
"""(offset, amount, how many reads follow it in sequence): runs of three or more are read ahead."""


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(min_size=84, max_size=6 * PAGE),
    wal=st.booleans(),
    encrypted=st.booleans(),
    runs=reads,
)
def test_every_read_is_the_whole_decryptions_bytes_there(
    body: bytes, wal: bool, encrypted: bool, runs: list[tuple[int, int, int]]
) -> None:
    plaintext = _plaintext(body, wal)
    stored = _encrypted(plaintext) if encrypted else plaintext
    expected = _reference(stored) if encrypted else _reference(_encrypted(plaintext))
    with ExitStack() as stack:
        pages = pages_of(_file_of(stored, stack), KEY if encrypted else None)
        assert pages is not None
        assert pages.length == len(plaintext)
        file = PagesFile(pages)
        try:
            for offset, amount, following in runs:
                for step in range(following + 1):
                    at = offset + step * amount
                    assert file.xRead(amount, at) == expected[at : at + amount], (at, amount)
        finally:
            file.xClose()
            pages.release()


def test_a_scan_is_read_ahead_in_large_pieces(tmp_path: Path) -> None:
    plaintext = _plaintext(os.urandom(40 * PAGE), wal=False)
    with ExitStack() as stack:
        pages = pages_of(_file_of(_encrypted(plaintext), stack), KEY)
        assert pages is not None
        taken: list[int] = []
        read = pages.read
        pages.read = lambda amount, offset: taken.append(amount) or read(amount, offset)  # type: ignore[method-assign]
        file = PagesFile(pages)
        for at in range(0, 32 * PAGE, PAGE):
            assert file.xRead(PAGE, at) == plaintext[at : at + PAGE]
        file.xClose()
        pages.release()
    assert taken[:2] == [PAGE, PAGE]
    assert READ_AHEAD in taken
    assert len(taken) < 8


@pytest.mark.parametrize(
    "damage",
    ["not sqlite", "bad padding", "not whole blocks", "empty", "UTF-16 text"],
)
def test_a_file_that_is_no_sound_ciphertext_of_a_database_is_not_paged(damage: str) -> None:
    """The in-memory load then takes it: it reports what is wrong as it always has, or reads it."""
    plaintext = _plaintext(os.urandom(PAGE), wal=False)
    stored = {
        "not sqlite": _encrypted(b"x" * len(plaintext)),
        "bad padding": _encrypted(plaintext)[:-16] + os.urandom(16),
        "not whole blocks": _encrypted(plaintext)[:-1],
        "empty": b"",
        # Names compared and decoded as UTF-8 bytes would be wrong: such a database is held in memory.
        "UTF-16 text": _encrypted(_plaintext(os.urandom(PAGE), wal=False, encoding=2)),
    }[damage]
    with ExitStack() as stack:
        fd = _file_of(stored, stack)
        assert pages_of(fd, KEY) is None
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(fd)  # the descriptor was closed


def test_only_a_registered_manifest_opens_and_nothing_is_written(tmp_path: Path) -> None:
    pages_vfs()  # registered with SQLite on first use
    with pytest.raises(apsw.CantOpenError):
        apsw.Connection(
            "file:manifest?mode=ro&pages=0000",
            flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI,
            vfs=VFS_NAME,
        )
    with pytest.raises(apsw.Error):  # a plain file name: refused as well
        apsw.Connection(str(tmp_path / "other.db"), vfs=VFS_NAME).execute("CREATE TABLE t (a)")
    assert list(tmp_path.iterdir()) == []


def test_the_manifests_descriptor_is_closed_with_it_and_it_refuses_writes(tmp_path: Path) -> None:
    folder, _ = write_small(tmp_path, encrypted=False)
    before = sorted(os.listdir("/proc/self/fd"))
    pages = pages_of(os.open(folder / "Manifest.db", os.O_RDONLY), None)
    assert pages is not None
    with pages_vfs().registered(pages) as uri:
        writer = apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_URI, vfs=VFS_NAME)
    with pytest.raises(apsw.ReadOnlyError):
        writer.execute("CREATE TABLE written (a)")
    writer.close()
    database = paged_manifest.opened(pages, pages.length)
    assert database is not None
    assert database.files(FileQuery()).total > 0
    database.close()
    with pytest.raises(SessionRequiredError):
        database.files(FileQuery())
    assert sorted(os.listdir("/proc/self/fd")) == before


def test_a_write_of_the_records_waits_for_a_reader_and_a_reader_for_it(tmp_path: Path) -> None:
    """The records' batches are written while readers read the database they share: a commit waits for a
    statement that holds its shared lock (and readers wait for a commit), instead of failing as locked."""
    folder, _ = write_small(tmp_path, encrypted=False)
    pages = pages_of(os.open(folder / "Manifest.db", os.O_RDONLY), None)
    assert pages is not None
    database = paged_manifest.opened(pages, pages.length)
    assert database is not None
    database.wait_completed()
    writer = database._connection  # the connections themselves, to hold their locks
    reader = database._readers._idle[0]
    assert writer is not None
    reading = reader.execute("SELECT id FROM records.decoded")
    next(reading)  # a statement in progress holds its shared lock

    def finish_reading() -> None:
        time.sleep(0.2)
        list(reading)

    finisher = threading.Thread(target=finish_reading)
    finisher.start()
    writer.execute("PRAGMA query_only = OFF")
    writer.execute("BEGIN")
    writer.execute("INSERT INTO records.decoded (id) VALUES (-1)")
    writer.execute("COMMIT")  # waits for the reader's statement to end
    finisher.join()
    assert reader.execute("SELECT count(*) FROM records.decoded WHERE id = -1").fetchone() == (1,)
    database.close()


def test_a_folder_that_stops_answering_fails_its_queries_in_time_and_takes_no_shared_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages read from the backup's file run in the folder's lane: when its reads hang (a hung mount), each
    query answers `CorruptBackupError` after the lane's deadline, and the threads every other backup needs
    (asyncio's default executor) stay free."""
    folder, spec = write_small(tmp_path, encrypted=True)
    monkeypatch.setattr(DecodedRecords, "decode", lambda self, work: None)  # pages read the file
    loader = CountingLoader(None, SERIAL, paged_from=0)
    vault = IosBackupVault(BackupFolders(folder.parent), loader, 2, FileWork(timeout=0.5))
    released = threading.Event()

    async def check() -> None:
        handle = await vault.open(SMALL_ID, spec.passphrase)
        loader.loaded[0].wait_prepared()
        read = ManifestPages.read
        monkeypatch.setattr(ManifestPages, "read", lambda pages, *at: released.wait() and read(pages, *at))
        started = time.monotonic()
        try:
            queries = (handle.files(FileQuery(limit=2, offset=n)) for n in range(20))
            answers = await asyncio.wait_for(asyncio.gather(*queries, return_exceptions=True), 10)
            took = time.monotonic() - started
            assert all(isinstance(answer, CorruptBackupError) for answer in answers), answers
            assert "did not answer" in str(answers[0])
            assert took < 5
            assert await asyncio.wait_for(asyncio.to_thread(lambda: "free"), 1) == "free"
        finally:
            released.set()

    asyncio.run(check())
