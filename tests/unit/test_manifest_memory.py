"""Where decrypted manifests are held: the settings' choice, and the probe `auto` asks."""

from pathlib import Path

import pytest

from ios_backup_api.adapters.sql.ram_file import is_tmpfs
from ios_backup_api.entrypoints.manifest_memory import ram_files_for
from ios_backup_api.entrypoints.settings import ManifestSettings, SettingsError

RAM = Path("/run/ram")


def _settings(memory: str) -> ManifestSettings:
    return ManifestSettings(memory=memory, ram_folder=RAM)  # type: ignore[arg-type]


def test_auto_takes_ram_files_exactly_where_the_probe_finds_a_tmpfs() -> None:
    asked: list[Path] = []

    def probe(folder: Path) -> bool:
        asked.append(folder)
        return True

    ram_files = ram_files_for(_settings("auto"), probe)
    assert ram_files is not None
    assert ram_files.folder == RAM
    assert asked == [RAM]
    assert ram_files_for(_settings("auto"), lambda _: False) is None


def test_in_process_takes_none_and_asks_nothing() -> None:
    def probe(_: Path) -> bool:
        raise AssertionError("in-process needs no probe")

    assert ram_files_for(_settings("in-process"), probe) is None


def test_ram_file_insists_on_a_tmpfs() -> None:
    assert ram_files_for(_settings("ram-file"), lambda _: True) is not None
    with pytest.raises(SettingsError, match="IOS_BACKUP_MANIFEST__RAM_FOLDER: /run/ram is not a tmpfs"):
        ram_files_for(_settings("ram-file"), lambda _: False)


MOUNTS = """\
overlay / overlay rw,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0
tmpfs /run tmpfs rw,nosuid,nodev 0 0
/dev/sda1 /run/disk ext4 rw,relatime 0 0
tmpfs /mnt/with\\040space tmpfs rw 0 0
"""


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("/dev/shm", True),
        ("/dev/shm/deeper", True),
        ("/dev/shmother", False),
        ("/run/user/1000", True),
        ("/run/disk", False),  # a disk mounted inside a tmpfs: the innermost mount decides
        ("/run/disk/inner", False),
        ("/mnt/with space/x", True),
        ("/tmp", False),
        ("/", False),
    ],
)
def test_is_tmpfs_reads_the_innermost_mount_of_the_folder(
    folder: str, expected: bool, tmp_path: Path
) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    assert is_tmpfs(Path(folder), mounts) is expected


def test_without_a_mount_table_nothing_is_a_tmpfs(tmp_path: Path) -> None:
    assert is_tmpfs(Path("/dev/shm"), tmp_path / "no-such-file") is False
