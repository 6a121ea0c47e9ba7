"""Queries of one backup's manifest run side by side on the RAM file's read-only connections, and closing the
manifest closes every one of them (the RAM file's memory is then given back)."""

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from ios_backup_api.adapters.vault.manifest_buffer import READERS
from ios_backup_api.adapters.vault.manifest_db import ManifestDatabase
from ios_backup_api.domain.errors import SessionRequiredError
from ios_backup_api.domain.manifest import FileQuery
from tests.support.vault_cases import (
    SMALL_ID,
    CountingLoader,
    expected_listing,
    folder_vault,
    ram_files,
    write_small,
)

WAIT = 10.0


def _loaded(tmp_path: Path, in_ram_file: bool = True) -> tuple[ManifestDatabase, int]:
    """The small backup's manifest, prepared, and the number of entries it lists."""
    folder, spec = write_small(tmp_path / "backups", encrypted=True)
    loader = CountingLoader(ram_files() if in_ram_file else None)
    asyncio.run(folder_vault(folder.parent, loader).open(SMALL_ID, spec.passphrase))
    database = loader.loaded[0]
    database.wait_prepared()
    return database, len(expected_listing(spec))


def _answers_within(work: Callable[[], object], seconds: float) -> bool:
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


def _ram_file_descriptors() -> int:
    """This process's descriptors of RAM files (tmpfs files whose names were removed)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith("/dev/shm/ios-backup-api-") and target.endswith("(deleted)")
    return count


@pytest.fixture
def held() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def test_a_query_answers_while_others_of_the_same_backup_are_in_flight(
    tmp_path: Path, held: ExitStack
) -> None:
    database, total = _loaded(tmp_path)
    # What queries in flight hold: the writing connection and all readers but one.
    held.enter_context(database._lock)
    for _ in range(READERS - 1):
        held.enter_context(database._readers.taken())
    assert _answers_within(lambda: database.files(FileQuery()), WAIT)
    assert database.files(FileQuery()).total == total
    assert _answers_within(lambda: database.row("0" * 40), WAIT)


def test_a_query_waits_for_a_reader_when_every_one_is_busy(tmp_path: Path, held: ExitStack) -> None:
    database, total = _loaded(tmp_path)
    busy = ExitStack()
    for _ in range(READERS):
        busy.enter_context(database._readers.taken())
    answers: list[int] = []
    waiting = threading.Thread(target=lambda: answers.append(database.files(FileQuery()).total), daemon=True)
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive(), "it should wait for a reader, not fail or go around the pool"
    busy.close()
    waiting.join(WAIT)
    assert answers == [total]


def test_without_a_ram_file_the_one_connection_answers_one_query_at_a_time(
    tmp_path: Path, held: ExitStack
) -> None:
    database, total = _loaded(tmp_path, in_ram_file=False)
    held.enter_context(database._lock)
    assert not _answers_within(lambda: database.files(FileQuery()), 0.5)
    held.close()
    assert database.files(FileQuery()).total == total


def test_closing_closes_every_reader_even_one_lent_to_a_query(tmp_path: Path) -> None:
    before = _ram_file_descriptors()
    database, _ = _loaded(tmp_path)
    assert _ram_file_descriptors() == before + READERS + 1
    lent = database._readers.taken()
    lent.__enter__()
    database.close()
    with pytest.raises(SessionRequiredError):  # a query after the close gets no reader
        database.files(FileQuery())
    # SQLite keeps the closed connections' descriptors while the lent one holds its lock on the file.
    lent.__exit__(None, None, None)
    assert _ram_file_descriptors() == before, (
        "every descriptor of the RAM file is closed: its memory is freed"
    )
    with pytest.raises(SessionRequiredError):
        database.row("0" * 40)
