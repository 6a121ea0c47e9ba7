"""The one way files inside a backup folder are opened: no link below the folder, regular files only."""

import os
from pathlib import Path

import pytest

from ios_backup_api.adapters.backup_folder.opening import FolderHandle, open_regular


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    backup = tmp_path / "backup"
    (backup / "ab").mkdir(parents=True)
    (backup / "ab" / "payload").write_bytes(b"inside")
    (backup / "Info.plist").write_bytes(b"plist")
    (tmp_path / "outside").write_bytes(b"outside")
    return backup


def test_regular_files_open_by_path_and_through_a_held_folder(folder: Path) -> None:
    with open_regular(folder, "ab/payload") as file:
        assert file.read() == b"inside"
    held = FolderHandle(folder)
    with held.open("Info.plist") as file:
        assert file.read() == b"plist"
    assert held.stat("ab/payload").st_size == 6


def test_the_backup_folder_itself_may_be_a_link(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(folder)
    with open_regular(tmp_path / "alias", "ab/payload") as file:
        assert file.read() == b"inside"


@pytest.mark.parametrize(
    "relative", ["linked-file", "linked-folder/payload", "pipe", "ab", "absent", "ab/absent"]
)
def test_links_pipes_folders_and_absent_files_are_missing(
    folder: Path, tmp_path: Path, relative: str
) -> None:
    (folder / "linked-file").symlink_to(tmp_path / "outside")
    (folder / "linked-folder").symlink_to(folder / "ab")
    os.mkfifo(folder / "pipe")
    with pytest.raises(FileNotFoundError):
        open_regular(folder, relative)


@pytest.mark.parametrize(
    "relative", ["", "../outside", "ab/../Info.plist", "./Info.plist", "ab//payload", "/etc"]
)
def test_a_path_that_is_not_plainly_inside_is_refused(folder: Path, relative: str) -> None:
    with pytest.raises(ValueError, match="not a relative path"):
        open_regular(folder, relative)


def test_a_held_folder_keeps_reading_where_it_was_when_its_path_is_swapped(
    folder: Path, tmp_path: Path
) -> None:
    held = FolderHandle(folder)
    folder.rename(tmp_path / "moved")
    impostor = tmp_path / "impostor"
    (impostor / "ab").mkdir(parents=True)
    (impostor / "ab" / "payload").write_bytes(b"impostor")
    folder.symlink_to(impostor)
    with held.open("ab/payload") as file:
        assert file.read() == b"inside"
