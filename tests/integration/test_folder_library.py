import os
import plistlib
import shutil
import threading
from pathlib import Path

import pytest

from ios_backup_api.adapters.backup_folder.file_work import FileWork
from ios_backup_api.adapters.backup_folder.folders import BackupFolders
from ios_backup_api.adapters.filesystem.folder_library import UNANSWERED, FolderBackupLibrary
from ios_backup_api.domain.backups import BackupStatus
from ios_backup_api.domain.errors import CatalogUnavailableError
from tests.support.backups import ENCRYPTED_ID, PLAIN_ID, write_samples


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    write_samples(root)
    return root


@pytest.fixture
def base(pristine: Path, tmp_path: Path) -> Path:
    base = tmp_path / "base"
    shutil.copytree(pristine, base)
    return base


def _broken_copy(base: Path, name: str) -> Path:
    folder = base / name
    shutil.copytree(base / PLAIN_ID, folder)
    return folder


async def _summaries(base: Path) -> dict[str, object]:
    library = FolderBackupLibrary(BackupFolders(base))
    return {
        backup.summary.id: backup.summary for backup in await library.read(list(await library.fingerprints()))
    }


async def test_reads_the_summary_of_each_backup(base: Path) -> None:
    summaries = await _summaries(base)
    assert set(summaries) == {ENCRYPTED_ID, PLAIN_ID}
    encrypted = summaries[ENCRYPTED_ID]
    assert encrypted.is_encrypted is True  # type: ignore[attr-defined]
    assert encrypted.status is BackupStatus.READY  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("breakage", "problem"),
    [
        (
            lambda f: (f / "Manifest.plist").write_bytes(b"garbage"),
            "Manifest.plist is not a valid property list.",
        ),
        (lambda f: (f / "Manifest.db").unlink(), "Manifest.db is missing."),
        (
            lambda f: (f / "Manifest.plist").write_bytes(
                plistlib.dumps(["a", "list"], fmt=plistlib.FMT_BINARY)
            ),
            "Manifest.plist is not a dictionary property list.",
        ),
        (
            lambda f: (f / "Manifest.plist").write_bytes(
                plistlib.dumps({"IsEncrypted": True}, fmt=plistlib.FMT_BINARY)
            ),
            "Manifest.plist of an encrypted backup has no BackupKeyBag.",
        ),
    ],
)
async def test_a_broken_folder_is_unreadable_with_one_sentence_and_never_stops_the_scan(
    base: Path, breakage: object, problem: str
) -> None:
    breakage(_broken_copy(base, "broken"))  # type: ignore[operator]
    summaries = await _summaries(base)
    broken = summaries["broken"]
    assert broken.status is BackupStatus.UNREADABLE  # type: ignore[attr-defined]
    assert broken.problem == problem  # type: ignore[attr-defined]
    assert summaries[PLAIN_ID].status is BackupStatus.READY  # type: ignore[attr-defined]


async def test_an_encrypted_backup_without_manifest_plist_is_unreadable(base: Path) -> None:
    folder = base / "no-manifest-plist"
    shutil.copytree(base / ENCRYPTED_ID, folder)
    (folder / "Manifest.plist").unlink()
    broken = (await _summaries(base))["no-manifest-plist"]
    assert (broken.status, broken.problem) == (  # type: ignore[attr-defined]
        BackupStatus.UNREADABLE,
        "Manifest.plist is missing.",
    )


@pytest.mark.parametrize(
    ("breakage", "warnings"),
    [
        (lambda f: (f / "Info.plist").unlink(), ()),
        (lambda f: (f / "Status.plist").unlink(), ()),
        (
            lambda f: (f / "Info.plist").write_bytes(b"bplist00\x01\x02"),
            ("Info.plist is not a valid property list. It was left out.",),
        ),
        (
            lambda f: (f / "Status.plist").write_text("<plist>"),
            ("Status.plist is not a valid property list. It was left out.",),
        ),
        (
            lambda f: (f / "Manifest.plist").unlink(),
            ("Manifest.plist is missing: read as an unencrypted backup.",),
        ),
    ],
)
async def test_plists_that_hold_no_key_are_optional_and_a_damaged_one_is_a_warning(
    base: Path, breakage: object, warnings: tuple[str, ...]
) -> None:
    breakage(_broken_copy(base, "tolerated"))  # type: ignore[operator]
    summary = (await _summaries(base))["tolerated"]
    assert summary.status is BackupStatus.READY  # type: ignore[attr-defined]
    assert summary.warnings == warnings  # type: ignore[attr-defined]
    assert summary.is_encrypted is False  # type: ignore[attr-defined]
    plain = (await _summaries(base))[PLAIN_ID]
    # Info.plist writes the UDID in capitals, Manifest.plist's Lockdown in small letters, as phones do.
    assert summary.udid.upper() == plain.udid.upper()  # type: ignore[attr-defined]
    assert summary.product_version is not None  # type: ignore[attr-defined]


async def test_folders_that_do_not_look_like_backups_are_ignored(base: Path) -> None:
    (base / "notes").mkdir()
    (base / "notes" / "todo.txt").write_text("x")
    (base / "loose-file.txt").write_text("x")
    (base / ".hidden").mkdir()
    assert set(await FolderBackupLibrary(BackupFolders(base)).fingerprints()) == {ENCRYPTED_ID, PLAIN_ID}


async def test_a_symlink_leading_outside_the_base_path_is_not_followed(base: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(base / PLAIN_ID, outside)
    os.symlink(outside, base / "escape")
    os.symlink(base / PLAIN_ID, base / "alias")
    library = FolderBackupLibrary(BackupFolders(base))
    assert set(await library.fingerprints()) == {ENCRYPTED_ID, PLAIN_ID, "alias"}
    folders = BackupFolders(base)
    assert folders.folder("escape") is None
    assert folders.folder("../outside") is None
    assert folders.folder("..") is None
    assert folders.folder("alias") == base / "alias"


async def test_the_fingerprint_is_stable_until_the_backup_changes(base: Path) -> None:
    library = FolderBackupLibrary(BackupFolders(base))
    first = await library.fingerprints()
    assert await library.fingerprints() == first
    info = base / PLAIN_ID / "Info.plist"
    info.write_bytes(info.read_bytes() + b"\n")
    second = await library.fingerprints()
    assert second[PLAIN_ID] != first[PLAIN_ID]
    assert second[ENCRYPTED_ID] == first[ENCRYPTED_ID]


async def test_the_size_is_the_bytes_on_disk(base: Path) -> None:
    summaries = await _summaries(base)
    expected = sum(p.stat().st_size for p in (base / PLAIN_ID).rglob("*") if p.is_file())
    assert summaries[PLAIN_ID].size_bytes == expected  # type: ignore[attr-defined]


async def test_a_missing_base_path_has_no_backups(tmp_path: Path) -> None:
    assert await FolderBackupLibrary(BackupFolders(tmp_path / "absent")).fingerprints() == {}


class _HungFolders(BackupFolders):
    """Folders of which one never answers, and whose base path stops answering once `base_hangs` is set."""

    def __init__(self, base_path: Path, hung: str) -> None:
        super().__init__(base_path)
        self.hung, self.release, self.base_hangs = hung, threading.Event(), False

    def names(self) -> list[str]:
        if self.base_hangs:
            self.release.wait()
        return super().names()

    def folder_and_fingerprint(self, backup_id: str) -> tuple[Path, str] | None:
        if backup_id == self.hung:
            self.release.wait()
        return super().folder_and_fingerprint(backup_id)


async def test_a_folder_that_never_answers_is_unreadable_saying_so_and_the_others_are_read(
    base: Path,
) -> None:
    _broken_copy(base, "hung")
    folders = _HungFolders(base, "hung")
    library = FolderBackupLibrary(folders, FileWork(timeout=0.3))
    try:
        prints = await library.fingerprints()
        assert prints["hung"] == UNANSWERED
        assert {ENCRYPTED_ID, PLAIN_ID} <= set(prints)
        read = {backup.summary.id: backup for backup in await library.read(list(prints))}
        assert read["hung"].fingerprint == UNANSWERED, "not read again while it still does not answer"
        assert read["hung"].summary.status is BackupStatus.UNREADABLE
        assert read["hung"].summary.problem == (
            "The backup folder did not answer within 0.3 s (a hung disk or network mount?)."
        )
        assert read[PLAIN_ID].summary.status is BackupStatus.READY
        folders.base_hangs = True
        with pytest.raises(CatalogUnavailableError, match="The base path of the backups: The backup folder"):
            await library.fingerprints()
    finally:
        folders.release.set()


async def test_a_base_path_one_level_too_high_finds_the_backups_in_its_backup_folder(
    base: Path, tmp_path: Path
) -> None:
    mobile_sync = tmp_path / "MobileSync"
    mobile_sync.mkdir()
    os.rename(base, mobile_sync / "Backup")
    assert set(await FolderBackupLibrary(BackupFolders(mobile_sync)).fingerprints()) == {
        ENCRYPTED_ID,
        PLAIN_ID,
    }
    assert await FolderBackupLibrary(BackupFolders(tmp_path)).fingerprints() == {}, "only MobileSync's"
