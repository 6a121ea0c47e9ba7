from datetime import UTC, datetime

import pytest

from ios_backup_api.domain.services.discovery import BackupDiscovery
from tests.fakes.catalog import InMemoryBackupCatalog
from tests.fakes.library import InMemoryBackupLibrary
from tests.support.factories import BackupSummaryFactory


class RecordingListener:
    def __init__(self) -> None:
        self.removed: list[list[str]] = []

    async def backups_removed(self, backup_ids: object) -> None:
        self.removed.append(sorted(backup_ids))  # type: ignore[call-overload]


@pytest.fixture
def library() -> InMemoryBackupLibrary:
    return InMemoryBackupLibrary()


@pytest.fixture
def catalog() -> InMemoryBackupCatalog:
    return InMemoryBackupCatalog()


@pytest.fixture
def listener() -> RecordingListener:
    return RecordingListener()


@pytest.fixture
def discovery(
    catalog: InMemoryBackupCatalog, library: InMemoryBackupLibrary, listener: RecordingListener
) -> BackupDiscovery:
    return BackupDiscovery(catalog, library, removal_listeners=(listener,))


async def test_refresh_inserts_new_backups_newest_first(
    discovery: BackupDiscovery, library: InMemoryBackupLibrary
) -> None:
    old = BackupSummaryFactory.build(id="old", last_backup_at=datetime(2023, 1, 1, tzinfo=UTC))
    new = BackupSummaryFactory.build(id="new", last_backup_at=datetime(2024, 1, 1, tzinfo=UTC))
    library.put(old)
    library.put(new)
    listed = await discovery.refresh()
    assert [summary.id for summary in listed] == ["new", "old"]
    assert await discovery.list_backups() == listed


async def test_refresh_reads_only_changed_folders(
    discovery: BackupDiscovery, library: InMemoryBackupLibrary
) -> None:
    first, second = BackupSummaryFactory.batch(2)
    library.put(first)
    library.put(second)
    await discovery.refresh()
    library.reads.clear()
    await discovery.refresh()
    assert library.reads == []
    changed = BackupSummaryFactory.build(id=second.id, device_name="renamed")
    library.put(changed)
    listed = await discovery.refresh()
    assert library.reads == [second.id]
    assert changed in listed


async def test_refresh_forgets_vanished_backups_and_tells_the_listeners(
    discovery: BackupDiscovery, library: InMemoryBackupLibrary, listener: RecordingListener
) -> None:
    kept, gone = BackupSummaryFactory.batch(2)
    library.put(kept)
    library.put(gone)
    await discovery.refresh()
    library.delete(gone.id)
    listed = await discovery.refresh()
    assert [summary.id for summary in listed] == [kept.id]
    assert listener.removed == [[gone.id]]


async def test_get_raises_not_found_for_an_unknown_id(discovery: BackupDiscovery) -> None:
    from ios_backup_api.domain.errors import BackupNotFoundError

    with pytest.raises(BackupNotFoundError):
        await discovery.get("nope")
