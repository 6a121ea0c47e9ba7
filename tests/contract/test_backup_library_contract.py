"""One contract for the BackupLibrary port: the folders on disk and the in-memory fake."""

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.adapters.filesystem.folder_library import FolderBackupLibrary
from ios_backup_api.domain.ports.library import BackupLibrary
from tests.fakes.library import InMemoryBackupLibrary
from tests.support.backups import plain_spec
from tests.support.factories import BackupSummaryFactory


@dataclass
class LibraryDriver:
    library: BackupLibrary
    add: Callable[[str], None]
    change: Callable[[str], None]
    remove: Callable[[str], None]


def _memory_driver(_: Path) -> LibraryDriver:
    library = InMemoryBackupLibrary()
    return LibraryDriver(
        library,
        add=lambda name: library.put(BackupSummaryFactory.build(id=name)),
        change=lambda name: library.put(BackupSummaryFactory.build(id=name, device_name="changed")),
        remove=library.delete,
    )


def _folder_driver(tmp_path: Path) -> LibraryDriver:
    template = tmp_path / "template"
    write_backup(template, plain_spec(), seed=1)
    base = tmp_path / "base"
    base.mkdir()

    def change(name: str) -> None:
        info = base / name / "Info.plist"
        info.write_bytes(info.read_bytes().replace(b"Grace's iPad", b"changed"))

    return LibraryDriver(
        FolderBackupLibrary(BackupFolders(base)),
        add=lambda name: shutil.copytree(template, base / name),
        change=change,
        remove=lambda name: shutil.rmtree(base / name),
    )


@pytest.fixture(params=[_memory_driver, _folder_driver], ids=["memory", "folders"])
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> LibraryDriver:
    make: Callable[[Path], LibraryDriver] = request.param
    return make(tmp_path)


async def test_an_empty_library_has_no_backups(driver: LibraryDriver) -> None:
    assert await driver.library.fingerprints() == {}
    assert await driver.library.read(["anything"]) == []


async def test_added_backups_are_fingerprinted_and_read_by_id(driver: LibraryDriver) -> None:
    driver.add("one")
    driver.add("two")
    prints = await driver.library.fingerprints()
    assert set(prints) == {"one", "two"}
    read = await driver.library.read(["two"])
    assert [backup.summary.id for backup in read] == ["two"]
    assert read[0].fingerprint == prints["two"]


async def test_a_fingerprint_is_stable_until_its_backup_changes(driver: LibraryDriver) -> None:
    driver.add("one")
    driver.add("two")
    before = await driver.library.fingerprints()
    assert await driver.library.fingerprints() == before
    driver.change("one")
    after = await driver.library.fingerprints()
    assert after["one"] != before["one"]
    assert after["two"] == before["two"]
    (changed,) = await driver.library.read(["one"])
    assert changed.summary.device_name == "changed"


async def test_a_removed_backup_vanishes_and_is_left_out_of_reads(driver: LibraryDriver) -> None:
    driver.add("one")
    driver.add("two")
    driver.remove("one")
    assert set(await driver.library.fingerprints()) == {"two"}
    assert [backup.summary.id for backup in await driver.library.read(["one", "two"])] == ["two"]
