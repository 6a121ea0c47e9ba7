"""Manifest.db's bytes in memory, from the read to the wipe, in each way the service holds and decrypts them:
the plaintext handed to SQLite is exactly the database's bytes, for one thread or two and any split."""

import ctypes
import io
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ios_backup_api.adapters.sql.ram_file import RamFiles
from ios_backup_api.adapters.vault import in_place, manifest_buffer, reading
from ios_backup_api.adapters.vault.in_place import CHUNK_SIZE
from ios_backup_api.adapters.vault.manifest_buffer import ManifestBuffer
from ios_backup_api.adapters.vault.reading import PIECE, ReadStopped
from ios_backup_api.domain.errors import CorruptBackupError
from tests.support.vault_cases import ram_files


def _database(rows: int) -> bytes:
    with sqlite3.connect(":memory:") as connection:
        connection.execute("CREATE TABLE Files (fileID TEXT, domain TEXT, relativePath TEXT, flags, file)")
        connection.executemany(
            "INSERT INTO Files VALUES (?, 'HomeDomain', ?, 1, ?)",
            ((f"{n:040x}", f"Library/{n}.txt", os.urandom(n % 300)) for n in range(rows)),
        )
        connection.commit()
        return connection.serialize()


def _encrypted(plaintext: bytes, key: bytes) -> bytes:
    padding = 16 - len(plaintext) % 16
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return encryptor.update(plaintext + bytes([padding]) * padding) + encryptor.finalize()


@pytest.fixture(scope="module")
def big_plaintext() -> bytes:
    """Over two chunks of the in-place decryption, so both halves of a split span a partial chunk."""
    data = _database(9000)
    assert len(data) > 2 * CHUNK_SIZE + 4096
    return data


MEMORIES = {"ram-file": ram_files, "in-process": lambda: None}


@pytest.mark.parametrize("memory", list(MEMORIES))
@pytest.mark.parametrize("parallel_from", [1 << 40, 16, CHUNK_SIZE + 16], ids=["one-thread", "split", "late"])
def test_the_plaintext_handed_to_sqlite_is_exactly_the_database(
    tmp_path: Path, big_plaintext: bytes, memory: str, parallel_from: int
) -> None:
    key = os.urandom(32)
    path = tmp_path / "Manifest.db"
    path.write_bytes(_encrypted(big_plaintext, key))
    buffer = ManifestBuffer.read(path, MEMORIES[memory]())
    connection, length = buffer.open_database(key, parallel_from)
    assert length == len(big_plaintext)
    assert connection.serialize() == big_plaintext
    assert connection.execute("SELECT count(*) FROM Files").fetchone() == (9000,)
    connection.close()


@pytest.mark.parametrize("memory", list(MEMORIES))
def test_a_plain_database_is_handed_over_as_it_is(tmp_path: Path, memory: str) -> None:
    plaintext = _database(50)
    path = tmp_path / "Manifest.db"
    path.write_bytes(plaintext)
    connection, length = ManifestBuffer.read(path, MEMORIES[memory]()).open_database(None, 16)
    assert (length, connection.serialize()) == (len(plaintext), plaintext)


@pytest.mark.parametrize("failing_half", ["first", "second"])
def test_a_failure_in_either_half_of_a_split_decryption_is_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_half: str
) -> None:
    original = in_place._decrypt_span

    def failing(view: memoryview, start: int, stop: int, key: bytes, iv: bytes) -> None:
        if (start == 0) == (failing_half == "first"):
            raise RuntimeError(f"the {failing_half} half failed")
        original(view, start, stop, key, iv)

    monkeypatch.setattr(in_place, "_decrypt_span", failing)
    key = os.urandom(32)
    path = tmp_path / "Manifest.db"
    path.write_bytes(_encrypted(_database(50), key))
    with pytest.raises(RuntimeError, match=f"the {failing_half} half failed"):
        ManifestBuffer.read(path, None).open_database(key, 16)


def _unpadded(plaintext: bytes, key: bytes, tail: bytes) -> bytes:
    """Encrypted with `tail` where the padding should be, as an editing tool that re-encrypts may write."""
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return encryptor.update(plaintext + tail) + encryptor.finalize()


@pytest.mark.parametrize(
    "tail", [b"", bytes(16), b"\x11" * 16], ids=["none", "a count of 0", "a count of 17"]
)
def test_invalid_padding_over_a_sound_database_is_tolerated_and_logged(tmp_path: Path, tail: bytes) -> None:
    key, plaintext = os.urandom(32), _database(50)
    path = tmp_path / "backup-name" / "Manifest.db"
    path.parent.mkdir()
    path.write_bytes(_unpadded(plaintext, key, tail))
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("ios_backup_api")
    logger.addHandler(handler)
    try:
        connection, length = ManifestBuffer.read(path, None).open_database(key, 16)
    finally:
        logger.removeHandler(handler)
    assert length == len(plaintext)
    assert connection.serialize() == plaintext
    assert [record.getMessage() for record in records] == [
        "Manifest.db of backup 'backup-name' decrypts with invalid padding (rewritten by an editing tool?); "
        f"its plaintext is a sound SQLite database of {len(plaintext)} bytes, so it is opened as it is."
    ]


def test_invalid_padding_over_anything_but_a_sound_database_or_a_cut_ciphertext_is_corrupt(
    tmp_path: Path,
) -> None:
    key, plaintext = os.urandom(32), _database(50)
    path = tmp_path / "Manifest.db"
    path.write_bytes(_unpadded(b"not a database".ljust(len(plaintext), b"."), key, bytes(16)))
    with pytest.raises(
        CorruptBackupError, match=r"^Manifest\.db does not decrypt: its padding is invalid\.$"
    ):
        ManifestBuffer.read(path, None).open_database(key, 16)
    damaged = bytearray(plaintext)
    damaged[4096 : 4096 + 64] = os.urandom(64)  # the second page's header: its b-tree is no longer sound
    path.write_bytes(_unpadded(bytes(damaged), key, bytes(16)))
    with pytest.raises(CorruptBackupError, match=r"what it pads is no sound database"):
        ManifestBuffer.read(path, None).open_database(key, 16)
    path.write_bytes(_encrypted(plaintext, key)[:-5])
    with pytest.raises(CorruptBackupError, match=r"^Manifest\.db is truncated"):
        ManifestBuffer.read(path, None).open_database(key, 16)


def test_an_anonymous_mapping_holding_plaintext_is_zeroed_by_its_own_thread_after_the_hand_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zeroed: list[tuple[int, int]] = []
    real_memset = ctypes.memset

    def memset(buffer: object, value: int, size: int) -> object:
        zeroed.append((value, size))
        return real_memset(buffer, value, size)

    monkeypatch.setattr(manifest_buffer.ctypes, "memset", memset)
    key = os.urandom(32)
    ciphertext = _encrypted(_database(50), key)
    path = tmp_path / "Manifest.db"
    path.write_bytes(ciphertext)
    unused = ManifestBuffer.read(path, None)
    unused.wipe()
    assert zeroed == [], "ciphertext alone needs no zeroing"
    buffer = ManifestBuffer.read(path, None)
    buffer.open_database(key, 16)[0].close()
    deadline = time.monotonic() + 10
    while not zeroed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert zeroed == [(0, len(ciphertext) + 16)]
    buffer.wipe()
    assert len(zeroed) == 1, "wiping is done once"


@pytest.mark.parametrize("memory", list(MEMORIES))
def test_a_database_in_wal_mode_is_read_as_a_rollback_journal_one(tmp_path: Path, memory: str) -> None:
    plaintext = bytearray(_database(50))
    plaintext[18] = plaintext[19] = (
        2  # what a phone's Manifest.db in WAL mode says; its -wal file is not read
    )
    path = tmp_path / "Manifest.db"
    path.write_bytes(plaintext)
    connection, length = ManifestBuffer.read(path, MEMORIES[memory]()).open_database(None, 16)
    assert length == len(plaintext)
    assert connection.execute("SELECT count(*) FROM Files").fetchone() == (50,)
    assert connection.serialize()[18:20] == b"\x01\x01"


def test_what_is_not_an_sqlite_database_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "Manifest.db"
    for data in (b"SQLite format 3\x00" + bytes(83), b"SQLite format 2\x00" + bytes(4080)):
        path.write_bytes(data)
        with pytest.raises(CorruptBackupError, match=r"^Manifest\.db is not an SQLite database\.$"):
            ManifestBuffer.read(path, None).open_database(None, 16)


def test_a_read_that_is_not_used_gives_its_memory_back(tmp_path: Path) -> None:
    path = tmp_path / "Manifest.db"
    path.write_bytes(_database(10))
    before = _ram_descriptors()
    buffer = ManifestBuffer.read(path, RamFiles(ram_files().folder))
    assert buffer.is_current(buffer.fingerprint)
    assert _ram_descriptors() - before, "the RAM file (ours and SQLite's descriptors) is open"
    buffer.wipe()
    assert not buffer.is_current(buffer.fingerprint)
    assert not _ram_descriptors() - before, "both descriptors of the RAM file are closed"


def _ram_descriptors() -> set[str]:
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            if "/ios-backup-api-" in os.readlink(f"/proc/self/fd/{fd}"):
                held.add(fd)
        except OSError:
            continue
    return held


class _SetAfter(threading.Event):
    """A stop that is set once it has been looked at `looks` times: a read stopped partway through."""

    def __init__(self, looks: int) -> None:
        super().__init__()
        self.looks = looks

    def is_set(self) -> bool:
        self.looks -= 1
        return self.looks < 0


@pytest.mark.parametrize("memory", list(MEMORIES))
def test_a_read_stopped_partway_reads_one_piece_more_and_gives_its_memory_back(
    tmp_path: Path, memory: str
) -> None:
    path = tmp_path / "Manifest.db"
    with path.open("wb") as file:
        file.truncate(5 * PIECE)
    before = _ram_descriptors()
    read_into = reading.read_fully
    positions: list[int] = []

    def recording(file: io.FileIO, view: memoryview, stop: threading.Event | None = None) -> int:
        try:
            return read_into(file, view, stop)
        finally:
            positions.append(file.tell())

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_buffer, "read_fully", recording)
        with pytest.raises(ReadStopped):
            ManifestBuffer.read(path, MEMORIES[memory](), _SetAfter(2))
    assert positions == [2 * PIECE], "the read stops at the first look after the stop was set"
    assert not _ram_descriptors() - before, "what was read is freed"
