"""The command line as a user meets it: scan, db upgrade, and a bad configuration."""

import os
import subprocess
import sys
from pathlib import Path

from tests.support.backups import ENCRYPTED_ID, PLAIN_ID, write_samples

CLI = str(Path(sys.executable).with_name("ios-backup-api"))


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), **env}
    return subprocess.run([CLI, *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_scan_prints_a_table_of_the_backups(tmp_path: Path) -> None:
    write_samples(tmp_path / "backups")
    (tmp_path / "backups" / "broken").mkdir()
    (tmp_path / "backups" / "broken" / "Info.plist").write_text("not a plist")
    result = _run(["scan"], {"IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(tmp_path / "backups")}, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("3 backup(s) under ")
    assert lines[1].split()[:2] == ["id", "device"]
    assert lines[2].startswith(ENCRYPTED_ID)
    assert "yes" in lines[2]
    assert lines[3].startswith(PLAIN_ID)
    assert "unreadable: Manifest.plist and Manifest.db are missing." in lines[4]


def test_db_upgrade_creates_the_schema_and_can_repeat(tmp_path: Path) -> None:
    env = {"IOS_BACKUP_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'db' / 'catalog.sqlite3'}"}
    for _ in range(2):
        result = _run(["db", "upgrade"], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout
    assert (tmp_path / "db" / "catalog.sqlite3").is_file()


def test_a_bad_setting_stops_the_start_with_one_line_naming_it(tmp_path: Path) -> None:
    result = _run(["serve"], {"IOS_BACKUP_SERVER__PORT": "http"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "IOS_BACKUP_SERVER__PORT" in result.stderr


def test_a_bad_dotenv_line_is_reported_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("IOS_BACKUP_SESSIONS__TTL_SECONDS=soon\n")
    result = _run(["scan"], {}, tmp_path)
    assert result.returncode == 2
    assert "IOS_BACKUP_SESSIONS__TTL_SECONDS" in result.stderr


def test_a_ram_folder_that_is_not_in_ram_stops_the_start(tmp_path: Path) -> None:
    env = {"IOS_BACKUP_MANIFEST__MEMORY": "ram-file", "IOS_BACKUP_MANIFEST__RAM_FOLDER": str(tmp_path)}
    result = _run(["serve"], env, tmp_path)
    assert result.returncode == 2
    assert "IOS_BACKUP_MANIFEST__RAM_FOLDER" in result.stderr
    assert "not a tmpfs" in result.stderr
