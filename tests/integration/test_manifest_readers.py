"""Queries of one backup's manifest run side by side on the RAM file's read-only connections, and closing the
manifest closes every one of them (the RAM file's memory is then given back)."""

import asyncio
import gc
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


def _loaded(tmp_path: Path, stack: ExitStack, in_ram_file: bool = True) -> tuple[ManifestDatabase, int]:
    """The small backup's manifest, prepared, and the number of entries it lists; closed by `stack` last."""
    folder, spec = write_small(tmp_path / "backups", encrypted=True)
    loader = CountingLoader(ram_files() if in_ram_file else None)
    asyncio.run(folder_vault(folder.parent, loader).open(SMALL_ID, spec.passphrase))
    database = loader.loaded[0]
    stack.callback(database.close)
    database.wait_prepared()
    return database, len(expected_listing(spec))


def _answering(work: Callable[[], object]) -> threading.Event:
    """Set once `work`, run in a thread of its own, has answered."""
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done


def _answers_within(work: Callable[[], object], seconds: float) -> bool:
    return _answering(work).wait(seconds)


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
    database, total = _loaded(tmp_path, held)
    # What queries in flight hold: the writing connection and all readers but one.
    held.enter_context(database._lock)
    for _ in range(READERS - 1):
        held.enter_context(database._readers.taken())
    assert _answers_within(lambda: database.files(FileQuery()), WAIT)
    assert database.files(FileQuery()).total == total
    assert _answers_within(lambda: database.row("0" * 40), WAIT)


def test_a_query_waits_for_a_reader_when_every_one_is_busy(tmp_path: Path, held: ExitStack) -> None:
    database, total = _loaded(tmp_path, held)
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
    database, total = _loaded(tmp_path, held, in_ram_file=False)
    with database._lock:  # what a query in flight holds
        waiting = _answering(lambda: database.files(FileQuery()))
        assert not waiting.wait(0.5)
    assert waiting.wait(WAIT)
    assert database.files(FileQuery()).total == total


def test_closing_closes_every_reader_even_one_lent_to_a_query(tmp_path: Path, held: ExitStack) -> None:
    before = _ram_file_descriptors()
    database, _ = _loaded(tmp_path, held)
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


def test_closing_while_the_readers_are_readied_is_safe(tmp_path: Path) -> None:
    """A lock right after the unlock: the close waits for the preparation, which readies the readers (closing
    one while a thread runs a statement on it would crash the process)."""
    folder, spec = write_small(tmp_path / "backups", encrypted=False)
    gc.collect()  # what earlier tests of this process left to the collector is closed before the count
    before = _ram_file_descriptors()
    for _ in range(40):
        loader = CountingLoader(ram_files())
        asyncio.run(folder_vault(folder.parent, loader).open(SMALL_ID, spec.passphrase))
        loader.loaded[0].close()  # the preparation may be anywhere by now
        with pytest.raises(SessionRequiredError):
            loader.loaded[0].files(FileQuery())
    assert _ram_file_descriptors() == before
