"""`extract` and `decrypt` as a user runs them: the installed command in a process of its own, on backups the
writer made; the results read by `diff`, sqlite3, iphone_backup_decrypt and this service."""

import os
import pty
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from iphone_backup_decrypt import EncryptedBackup
from iphone_backup_decrypt.exceptions import BackupNotEncryptedError
from iphone_backup_decrypt.utils import FilePlist
from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.spec import (
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticFile,
    SyntheticSymlink,
)
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.entrypoints.app import create_app
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import (
    ENCRYPTED_ID,
    MBDB_ENCRYPTED_ID,
    PASSPHRASE,
    PLAIN_ID,
    encrypted_spec,
    mbdb_specs,
    regular_files,
    tree_digests,
)

CLI = str(Path(sys.executable).with_name("ios-backup-api"))
HOME = "HomeDomain"
ESCAPING = "Library/Logs/escaping.log"
SIBLING = "Library/Logs/sms link"
# Where each recorded link target leads once written: inside DEST, as if DEST were the root.
EXPECTED_TARGETS = {
    "Library/Logs/latest.log": "../../../private/var/mobile/Library/Logs/CrashReporter/latest.log",
    ESCAPING: "../../../etc/passwd",
    SIBLING: "../SMS/sms.db",
    "Media/Recordings/Latest.m4a": "../../../private/var/mobile/Media/Recordings/Recording 1.m4a",
}


def _with_links(spec: SyntheticBackup) -> SyntheticBackup:
    return replace(
        spec,
        entries=(
            *spec.entries,
            SyntheticSymlink(HOME, ESCAPING, "../../../../../../../etc/passwd"),
            SyntheticSymlink(HOME, SIBLING, "../SMS/./sms.db"),
        ),
    )


@pytest.fixture
def backups(tmp_path: Path) -> tuple[Path, SyntheticBackup]:
    base = tmp_path / "backups"
    spec = _with_links(encrypted_spec())
    write_backup(base / ENCRYPTED_ID, spec, seed=7)
    return base, spec


def _env(base: Path, **more: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(base.parent),
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
        **more,
    }


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env=env, cwd=env["HOME"], capture_output=True, text=True, timeout=timeout, check=False
    )


def _expected_tree(spec: SyntheticBackup, root: Path) -> None:
    """What the backup holds, written from the spec alone."""
    root.mkdir()
    for entry in spec.all_entries():
        path = root / entry.domain / entry.relative_path if entry.relative_path else root / entry.domain
        if isinstance(entry, SyntheticDirectory):
            path.mkdir(parents=True, exist_ok=True)
        elif isinstance(entry, SyntheticFile):
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as file:
                for chunk in entry.chunks():
                    file.write(chunk)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(EXPECTED_TARGETS[entry.relative_path], path)


def _diff(expected: Path, actual: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["diff", "-r", "--no-dereference", str(expected), str(actual)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_extract_writes_the_tree_the_backup_holds_with_its_times_and_confined_links(
    backups: tuple[Path, SyntheticBackup], tmp_path: Path
) -> None:
    base, spec = backups
    before = tree_digests(base)
    result = _run(
        ["extract", ENCRYPTED_ID, str(tmp_path / "out" / "tree")],
        _env(base, IOS_BACKUP_PASSPHRASE=PASSPHRASE),
    )
    assert result.returncode == 0, result.stderr
    _expected_tree(spec, tmp_path / "expected")
    difference = _diff(tmp_path / "expected", tmp_path / "out" / "tree")
    assert (difference.returncode, difference.stdout, difference.stderr) == (0, "", "")
    for entry in spec.all_entries():
        path = tmp_path / "out" / "tree" / entry.domain / entry.relative_path
        assert os.lstat(path).st_mtime_ns == entry.modified_at * 1_000_000_000, entry.relative_path
    for name, target in EXPECTED_TARGETS.items():
        domain = "MediaDomain" if name.startswith("Media/") else HOME
        link = tmp_path / "out" / "tree" / domain / name
        resolved = Path(os.path.realpath(link))
        assert resolved.is_relative_to(os.path.realpath(tmp_path / "out" / "tree")), (name, target)
    assert tree_digests(base) == before, "the backup folder was written"
    assert PASSPHRASE not in result.stdout + result.stderr


def test_extract_selects_by_domain_and_path_and_a_second_run_skips_what_is_there(
    backups: tuple[Path, SyntheticBackup], tmp_path: Path
) -> None:
    base, spec = backups
    out = tmp_path / "out"
    env = _env(base, IOS_BACKUP_PASSPHRASE=PASSPHRASE)
    args = [
        "extract",
        ENCRYPTED_ID,
        str(out),
        "--domain",
        HOME,
        "--path-like",
        "Library/Sizes/%",
        "--kind",
        "file",
    ]
    assert _run(args, env).returncode == 0
    wanted = {
        f"{HOME}/{entry.relative_path}": entry.read_bytes()
        for entry in regular_files(spec)
        if entry.domain == HOME and entry.relative_path.startswith("Library/Sizes/")
    }
    written = {str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert written == wanted
    again = _run(args, env)
    assert again.returncode == 0
    assert f"{len(wanted)} of them already there" in again.stdout
    # Of the right length but another time: not what the backup holds, so written again.
    changed = out / HOME / "Library/Sizes/one page.bin"
    changed.write_bytes(b"x" * changed.stat().st_size)
    third = _run(args, env)
    assert third.returncode == 0
    assert f"{len(wanted) - 1} of them already there" in third.stdout
    assert changed.read_bytes() == wanted[f"{HOME}/Library/Sizes/one page.bin"]


def _files_written_whole(spec: SyntheticBackup, out: Path) -> int:
    """Every file under its final name holds its whole content; the count of them."""
    whole = 0
    for entry in regular_files(spec):
        path = out / entry.domain / entry.relative_path
        if path.exists():
            assert path.read_bytes() == entry.read_bytes(), f"{entry.relative_path} looks complete but is not"
            whole += 1
    return whole


def _big_backup(base: Path) -> SyntheticBackup:
    files = tuple(
        SyntheticFile.of_size(HOME, f"Media/big {number:02d}.bin", 6 << 20, seed=number)
        for number in range(40)
    )
    spec = replace(encrypted_spec(), entries=files)
    write_backup(base / ENCRYPTED_ID, spec, seed=3)
    return spec


def _started_and_stopped(
    args: list[str], env: dict[str, str], out: Path, stop: signal.Signals
) -> tuple[int, str]:
    """Runs the command until its first file is written whole, then sends `stop`; its status and the command
    line the system showed for it meanwhile."""
    process = subprocess.Popen(
        [CLI, *args], env=env, cwd=env["HOME"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    command_line = ""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
            if any(path.name.startswith("big") for path in out.rglob("big*")):
                break
            time.sleep(0.005)
        process.send_signal(stop)
        _, errors = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, command_line + errors.decode(errors="replace")


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_an_interrupted_extract_leaves_nothing_looking_complete_and_resumes(
    tmp_path: Path, stop: signal.Signals
) -> None:
    base = tmp_path / "backups"
    spec = _big_backup(base)
    out = tmp_path / "out"
    password_file = tmp_path / "passphrase.txt"
    password_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    args = ["extract", ENCRYPTED_ID, str(out), "--password-file", str(password_file)]
    status, shown = _started_and_stopped(args, _env(base), out, stop)
    assert status == (-signal.SIGKILL if stop is signal.SIGKILL else 130), shown
    assert PASSPHRASE not in shown
    whole = _files_written_whole(spec, out)
    assert 0 < whole < len(regular_files(spec)), "the command was not stopped midway"
    if stop is signal.SIGINT:
        assert not [path for path in out.rglob(".ios-backup-api-partial-*")], "Ctrl-C left a partial file"
    again = _run(args, _env(base))
    assert again.returncode == 0, again.stderr
    assert f"{whole} of them already there" in again.stdout
    _expected_tree(spec, tmp_path / "expected")
    difference = _diff(tmp_path / "expected", out)
    assert (difference.returncode, difference.stdout, difference.stderr) == (0, "", "")


def test_bad_input_is_one_sentence_and_writes_nothing(
    backups: tuple[Path, SyntheticBackup], tmp_path: Path
) -> None:
    base, _ = backups
    out = tmp_path / "out"
    before = tree_digests(base)
    cases = {
        "unknown backup": (["extract", "no-such-backup", str(out)], _env(base), 1),
        "wrong passphrase": (
            ["extract", ENCRYPTED_ID, str(out)],
            _env(base, IOS_BACKUP_PASSPHRASE="wrong"),
            1,
        ),
        "no passphrase": (["decrypt", ENCRYPTED_ID, str(out)], _env(base), 1),
        "missing password file": (
            ["extract", ENCRYPTED_ID, str(out), "--password-file", str(tmp_path / "none")],
            _env(base),
            1,
        ),
        "into the backup folder": (["extract", ENCRYPTED_ID, str(base / ENCRYPTED_ID / "x")], _env(base), 2),
        "into the base path": (["decrypt", ENCRYPTED_ID, str(base / "copy")], _env(base), 2),
        "through a link into the backup folder": (
            ["extract", ENCRYPTED_ID, str(tmp_path / "link" / "x")],
            _env(base),
            2,
        ),
        "around the base path": (["decrypt", ENCRYPTED_ID, str(tmp_path)], _env(base), 2),
    }
    (tmp_path / "link").symlink_to(base / ENCRYPTED_ID)
    for name, (args, env, status) in cases.items():
        result = _run(args, env)
        assert result.returncode == status, (name, result.stderr)
        assert result.stderr.count("\n") == 1, (name, result.stderr)
        assert result.stderr.startswith("ios-backup-api: "), (name, result.stderr)
        assert not out.exists(), name
        assert not (base / "copy").exists(), name
        assert "wrong" not in result.stderr, name
    assert tree_digests(base) == before


def _decrypted(base: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return _run(["decrypt", ENCRYPTED_ID, str(out)], _env(base, IOS_BACKUP_PASSPHRASE=PASSPHRASE))


@pytest.fixture
def decrypted_copy(backups: tuple[Path, SyntheticBackup], tmp_path: Path) -> tuple[Path, SyntheticBackup]:
    base, spec = backups
    out = tmp_path / "copies" / "deep" / PLAIN_ID
    result = _decrypted(base, out)
    assert result.returncode == 0, result.stderr
    assert PASSPHRASE not in result.stdout + result.stderr
    return out, spec


def test_decrypt_writes_a_plain_manifest_that_sqlite3_and_iphone_backup_decrypt_read(
    decrypted_copy: tuple[Path, SyntheticBackup], backups: tuple[Path, SyntheticBackup], tmp_path: Path
) -> None:
    out, spec = decrypted_copy
    rows = subprocess.run(
        [
            "sqlite3",
            "-readonly",
            "-separator",
            "|",
            str(out / "Manifest.db"),
            "SELECT fileID, domain, relativePath, flags FROM Files",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    kinds = {SyntheticFile: "1", SyntheticDirectory: "2", SyntheticSymlink: "4"}
    assert sorted(rows) == sorted(
        f"{entry.file_id}|{entry.domain}|{entry.relative_path}|{kinds[type(entry)]}"
        for entry in spec.all_entries()
    )
    # The same bytes iphone_backup_decrypt decrypts Manifest.db to.
    reference = EncryptedBackup(backup_directory=str(backups[0] / ENCRYPTED_ID), passphrase=PASSPHRASE)
    reference.save_manifest_file(str(tmp_path / "reference.db"))
    assert (out / "Manifest.db").read_bytes() == (tmp_path / "reference.db").read_bytes()
    with closing(sqlite3.connect(out / "Manifest.db")) as connection:
        records = dict(connection.execute("SELECT fileID, file FROM Files WHERE flags = 1"))
    for entry in regular_files(spec):
        record = FilePlist(records[entry.file_id])
        assert (record.filesize, record.mtime) == (entry.size, entry.modified_at)
        payload = out / entry.file_id[:2] / entry.file_id
        assert payload.read_bytes() == entry.read_bytes()
    with pytest.raises(BackupNotEncryptedError):
        EncryptedBackup(backup_directory=str(out), passphrase=PASSPHRASE).test_decryption()


async def test_this_service_lists_the_decrypted_copy_ready_and_serves_it_byte_identical(
    decrypted_copy: tuple[Path, SyntheticBackup], tmp_path: Path
) -> None:
    out, spec = decrypted_copy
    app = create_app(settings_for(out.parent, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"))
    async with AsyncTestClient(app) as client:
        client.headers["X-API-Token"] = API_TOKEN
        (listed,) = (await client.get("/backups")).json()["backups"]
        assert (listed["id"], listed["status"], listed["is_encrypted"], listed["warnings"]) == (
            PLAIN_ID,
            "ready",
            False,
            [],
        )
        assert listed["device_name"] == spec.device_name
        unlocked = await client.post(f"/backups/{PLAIN_ID}/unlock", json={})
        assert unlocked.status_code == 200, unlocked.text
        session = {"X-Backup-Session": unlocked.json()["session_token"]}
        files = (await client.get(f"/backups/{PLAIN_ID}/files?limit=1000", headers=session)).json()
        assert files["total"] == len(spec.all_entries())
        for entry in regular_files(spec):
            served = await client.get(f"/backups/{PLAIN_ID}/file/{entry.file_id}", headers=session)
            assert (served.status_code, served.content) == (200, entry.read_bytes()), entry.relative_path


def test_decrypt_of_a_manifest_mbdb_backup_keeps_its_layout_and_this_service_reads_it(tmp_path: Path) -> None:
    base = tmp_path / "backups"
    spec = mbdb_specs()[MBDB_ENCRYPTED_ID]
    write_backup(base / MBDB_ENCRYPTED_ID, spec, seed=5)
    out = tmp_path / "copies" / MBDB_ENCRYPTED_ID
    result = _run(["decrypt", MBDB_ENCRYPTED_ID, str(out)], _env(base, IOS_BACKUP_PASSPHRASE=PASSPHRASE))
    assert result.returncode == 0, result.stderr
    assert (out / "Manifest.mbdb").read_bytes() == (base / MBDB_ENCRYPTED_ID / "Manifest.mbdb").read_bytes()
    assert not (out / "Manifest.db").exists()
    for entry in regular_files(spec):
        assert (out / entry.file_id).read_bytes() == entry.read_bytes()
    extracted = _run(["extract", MBDB_ENCRYPTED_ID, str(tmp_path / "tree")], _env(out.parent))
    assert extracted.returncode == 0, extracted.stderr
    for entry in regular_files(spec):
        assert (tmp_path / "tree" / entry.domain / entry.relative_path).read_bytes() == entry.read_bytes()


def _answered_on_a_terminal(args: list[str], env: dict[str, str], answer: str) -> tuple[int, str]:
    """Runs the command on a pseudo-terminal of its own, answers its prompt; its status and all it showed."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, with the terminal as its controlling one
        os.execve(CLI, [CLI, *args], env)  # noqa: S606 - the installed command itself, no shell
    shown = b""
    answered = False
    while True:
        try:
            data = os.read(terminal, 4096)
        except OSError:  # the command ended: the terminal is gone
            break
        if not data:
            break
        shown += data
        if not answered and b"Passphrase of backup" in shown:
            os.write(terminal, answer.encode() + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_the_passphrase_is_asked_on_a_terminal_without_echo(
    backups: tuple[Path, SyntheticBackup], tmp_path: Path
) -> None:
    base, spec = backups
    out = tmp_path / "out"
    status, shown = _answered_on_a_terminal(["extract", ENCRYPTED_ID, str(out)], _env(base), PASSPHRASE)
    assert status == 0, shown
    assert "Passphrase of backup" in shown
    assert PASSPHRASE not in shown, "the passphrase was echoed"
    assert "Extracted" in shown
    assert _files_written_whole(spec, out) == len(regular_files(spec))
