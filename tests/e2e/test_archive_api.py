"""GET /backups/{id}/archive against a real server process: the archive of a domain, of a path_like
selection and of a whole backup opens with zipfile and with `unzip -t`, every member's bytes and time are
the backup's, folders and symlinks are such, a missing payload is named in MISSING.txt; malformed parameters
answer 400; a client that goes away stops the work; a lock ends the stream; a 256 MiB selection streams in
bounded memory; nothing decrypted is written to disk."""

import hashlib
import io
import os
import re
import shutil
import socket
import stat
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from ios_backup_api.adapters.backup_writer.spec import (
    SyntheticBackup,
    SyntheticDirectory,
    SyntheticEntry,
    SyntheticFile,
    SyntheticSymlink,
)
from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, encrypted_spec
from tests.support.server import RunningServer, running_server, service_env, status_bytes
from tests.support.streams import received_until_locked
from tests.support.vault_cases import (
    MARKER,
    files_holding,
    marked_encrypted_spec,
    payload_of,
    plaintext_by_design,
    temporary_root,
)

TOKEN = "archive-api-token-0123456789abcdef"
UNZIP = shutil.which("unzip") or "/usr/bin/unzip"
MIB = 1 << 20
BIG_DOMAIN = "CameraRollDomain"
BIG_FILES = 4
BIG_FILE_SIZE = 64 * MIB


@pytest.fixture
def server(base_path: Path, tmp_path: Path) -> Iterator[RunningServer]:
    with running_server(
        service_env(base_path, TOKEN, tmp_path), tmp_path, tmp_path / "server.log"
    ) as running:
        yield running


def _client(server: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-API-Token": TOKEN}, timeout=60)


def _session(client: httpx.Client, backup_id: str, password: str | None = PASSPHRASE) -> dict[str, str]:
    response = client.post(f"/backups/{backup_id}/unlock", json={"password": password})
    assert response.status_code == 200, response.text
    return {"X-Backup-Session": response.json()["session_token"]}


def _like(pattern: str) -> re.Pattern[str]:
    """SQL LIKE as the manifest applies it: `%` any run, `_` one character, ASCII letters in any case."""
    parts = ("." if char == "_" else ".*" if char == "%" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _selected(spec: SyntheticBackup, domain: str | None, path_like: str | None) -> list[SyntheticEntry]:
    entries = [
        entry
        for entry in spec.all_entries()
        if (domain is None or entry.domain == domain)
        and (path_like is None or _like(path_like).fullmatch(entry.relative_path))
    ]
    return sorted(entries, key=lambda entry: (entry.domain, entry.relative_path))


def _name(entry: SyntheticEntry) -> str:
    name = f"{entry.domain}/{entry.relative_path}" if entry.relative_path else entry.domain
    return name + "/" if isinstance(entry, SyntheticDirectory) else name


def _dos(seconds: int) -> tuple[int, ...]:
    moment = datetime.fromtimestamp(seconds, UTC)
    return (*moment.timetuple()[:5], moment.second - moment.second % 2)


def _inside_target(entry: SyntheticSymlink) -> str:
    """Where an absolute target of the sample's links lands: the same path under the archive's folder."""
    depth = len(_name(entry).split("/")) - 1
    return "../" * depth + entry.target.lstrip("/")


def _check_archive(body: bytes, expected: list[SyntheticEntry], scratch: Path) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    infos = archive.infolist()
    assert [info.filename for info in infos] == [_name(entry) for entry in expected]
    for info, entry in zip(infos, expected, strict=True):
        assert info.date_time == _dos(entry.modified_at), info.filename
        mode = info.external_attr >> 16
        if isinstance(entry, SyntheticDirectory):
            assert info.is_dir()
            assert stat.S_ISDIR(mode)
        elif isinstance(entry, SyntheticSymlink):
            assert stat.S_ISLNK(mode)
            assert archive.read(info).decode() == _inside_target(entry)
        else:
            assert stat.S_ISREG(mode)
            assert stat.S_IMODE(mode) == stat.S_IMODE(entry.mode)
            assert hashlib.sha256(archive.read(info)).digest() == _sha256(entry), info.filename
    path = scratch / "archive.zip"
    path.write_bytes(body)
    tested = subprocess.run([UNZIP, "-t", str(path)], capture_output=True, text=True, check=False)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "No errors detected" in tested.stdout
    return archive


def _sha256(file: SyntheticFile) -> bytes:
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    return digest.digest()


SELECTIONS = {
    "a domain": {"domain": "HomeDomain"},
    "a path_like selection": {"path_like": "%/sizes/%"},
    "a whole backup": {},
    "a whole backup, deflated": {"compress": "deflate"},
    "the files of a domain": {"domain": "MediaDomain", "kind": "file"},
}


@pytest.mark.parametrize("selection", list(SELECTIONS))
def test_an_archive_holds_every_selected_entry_as_the_backup_has_it(
    server: RunningServer, samples: dict[str, SyntheticBackup], tmp_path: Path, selection: str
) -> None:
    params = SELECTIONS[selection]
    with _client(server) as client:
        response = client.get(
            f"/backups/{ENCRYPTED_ID}/archive", params=params, headers=_session(client, ENCRYPTED_ID)
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    filename = f"{ENCRYPTED_ID}-{params['domain']}.zip" if "domain" in params else f"{ENCRYPTED_ID}.zip"
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    expected = _selected(samples[ENCRYPTED_ID], params.get("domain"), params.get("path_like"))
    if "kind" in params:
        expected = [entry for entry in expected if isinstance(entry, SyntheticFile)]
    assert expected
    archive = _check_archive(response.content, expected, tmp_path)
    deflated = {
        info.compress_type for info in archive.infolist() if not info.is_dir() and info.file_size > 100
    }
    assert deflated == {zipfile.ZIP_DEFLATED if "compress" in params else zipfile.ZIP_STORED}


def test_unzip_unpacks_the_real_tree_with_its_times_and_links_inside_the_folder(
    server: RunningServer, samples: dict[str, SyntheticBackup], tmp_path: Path
) -> None:
    with _client(server) as client:
        response = client.get(f"/backups/{PLAIN_ID}/archive", headers=_session(client, PLAIN_ID, None))
    (tmp_path / "all.zip").write_bytes(response.content)
    out = tmp_path / "out"
    subprocess.run([UNZIP, "-q", str(tmp_path / "all.zip"), "-d", str(out)], check=True)
    for entry in samples[PLAIN_ID].all_entries():
        path = out / _name(entry)
        if isinstance(entry, SyntheticFile):
            assert hashlib.sha256(path.read_bytes()).digest() == _sha256(entry)
            assert path.stat().st_mtime == entry.modified_at  # to the second, from the UT extra field
        elif isinstance(entry, SyntheticSymlink):
            assert path.is_symlink()
            assert os.readlink(path) == _inside_target(entry)
            assert (path.parent / os.readlink(path)).resolve().is_relative_to(out.resolve())
        else:
            assert path.is_dir()
            assert not path.is_symlink()


def test_a_missing_payload_is_left_out_and_named_in_missing_txt(
    base_path: Path, server: RunningServer, samples: dict[str, SyntheticBackup], tmp_path: Path
) -> None:
    spec = samples[ENCRYPTED_ID]
    gone = next(e for e in spec.all_entries() if e.relative_path == "Library/SMS/sms.db")
    payload_of(base_path / ENCRYPTED_ID, gone.file_id).unlink()
    with _client(server) as client:
        session = _session(client, ENCRYPTED_ID)
        response = client.get(
            f"/backups/{ENCRYPTED_ID}/archive", params={"domain": "HomeDomain"}, headers=session
        )
    assert response.status_code == 200
    expected = [entry for entry in _selected(spec, "HomeDomain", None) if entry is not gone]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist()[-1] == "MISSING.txt"
    missing = archive.read("MISSING.txt").decode()
    assert f"HomeDomain/Library/SMS/sms.db\tThe content of file {gone.file_id} is missing" in missing
    assert missing.count("\n") == 3  # the heading, a blank line, the one name
    body_without_missing = response.content  # the rest is checked as an archive of what is there
    infos = archive.infolist()[:-1]
    assert [info.filename for info in infos] == [_name(entry) for entry in expected]
    (tmp_path / "m.zip").write_bytes(body_without_missing)
    assert (
        subprocess.run([UNZIP, "-tq", str(tmp_path / "m.zip")], capture_output=True, check=False).returncode
        == 0
    )


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"kind": "socket"}, "kind"),
        ({"compress": "gzip"}, "compress"),
        ({"limit": "10"}, "limit"),
        ({"offset": "0"}, "offset"),
        ({"domain": "Home\x00Domain"}, "domain"),
        ({"path_like": "x" * 1025}, "path_like"),
    ],
)
def test_malformed_parameters_answer_400(server: RunningServer, params: dict[str, str], detail: str) -> None:
    with _client(server) as client:
        response = client.get(
            f"/backups/{ENCRYPTED_ID}/archive", params=params, headers=_session(client, ENCRYPTED_ID)
        )
    assert response.status_code == 400, response.text
    assert detail in response.text
    assert response.json()["status_code"] == 400


def test_without_a_session_it_answers_401_and_for_an_unknown_backup_404(server: RunningServer) -> None:
    with _client(server) as client:
        assert client.get(f"/backups/{ENCRYPTED_ID}/archive").status_code == 401
        assert client.get("/backups/no-such-backup/archive").status_code == 404


# A backup of 256 MiB in one domain, shared by the tests that need a long stream.


@pytest.fixture(scope="module")
def big_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("big") / "backups"
    spec = encrypted_spec()
    big = tuple(
        SyntheticFile.of_size(BIG_DOMAIN, f"Media/DCIM/101APPLE/IMG_{n:04}.MOV", BIG_FILE_SIZE, seed=20 + n)
        for n in range(BIG_FILES)
    )
    write_backup(base / ENCRYPTED_ID, replace(spec, entries=(*spec.entries, *big)), seed=3)
    return base


@pytest.fixture
def big_server(big_base: Path, tmp_path: Path) -> Iterator[RunningServer]:
    with running_server(service_env(big_base, TOKEN, tmp_path), tmp_path, tmp_path / "server.log") as running:
        yield running


def _cpu_seconds(server: RunningServer) -> float:
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_256_mib_selection_streams_with_memory_growth_under_64_mib(big_server: RunningServer) -> None:
    with _client(big_server) as client:
        session = _session(client, ENCRYPTED_ID)
        warm = client.get(
            f"/backups/{ENCRYPTED_ID}/archive", params={"domain": "HomeDomain"}, headers=session
        )
        assert warm.status_code == 200
        before = status_bytes(big_server, "VmRSS")
        received = 0
        with client.stream(
            "GET", f"/backups/{ENCRYPTED_ID}/archive", params={"domain": BIG_DOMAIN}, headers=session
        ) as response:
            for chunk in response.iter_raw(1 << 20):
                received += len(chunk)
        peak = status_bytes(big_server, "VmHWM")
    assert received > BIG_FILES * BIG_FILE_SIZE
    assert peak - before < 64 * MIB, f"the server's memory grew by {(peak - before) / MIB:.1f} MiB"


def _sparse_payload(base: Path, spec: SyntheticBackup, relative_path: str, size: int) -> None:
    """The plain backup's payload of `relative_path` grown to `size` bytes of zeros, none of them on disk."""
    file = next(e for e in spec.all_entries() if e.relative_path == relative_path)
    os.truncate(payload_of(base / PLAIN_ID, file.file_id), size)


def test_a_client_that_goes_away_stops_the_work(
    base_path: Path, samples: dict[str, SyntheticBackup], tmp_path: Path
) -> None:
    # 64 GiB to send: had the server gone on after the client left, it would be busy for a minute.
    _sparse_payload(base_path, samples[PLAIN_ID], "Library/Sizes/one page.bin", 64 << 30)
    with running_server(service_env(base_path, TOKEN, tmp_path), tmp_path, tmp_path / "server.log") as server:
        with _client(server) as client:
            session = _session(client, PLAIN_ID, None)
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as connection:
            connection.sendall(
                f"GET /backups/{PLAIN_ID}/archive?domain=HomeDomain HTTP/1.1\r\nHost: {host}\r\n"
                f"X-API-Token: {TOKEN}\r\nX-Backup-Session: {session['X-Backup-Session']}\r\n\r\n".encode()
            )
            working = _cpu_seconds(server)
            received = 0
            while received < 1 << 30:
                received += len(connection.recv(1 << 20))
            working = _cpu_seconds(server) - working
        assert working > 0.1, "the server works while it streams (the measure can see it)"
        time.sleep(1)  # the disconnect is seen, what was in flight ends
        spent = _cpu_seconds(server)
        time.sleep(1)
        assert _cpu_seconds(server) - spent < 0.1, "the server kept working for a client that left"
        with _client(server) as client:
            assert client.get("/healthz").status_code == 200


def test_a_member_over_4_gib_takes_zip64_and_the_archive_still_opens(
    base_path: Path, samples: dict[str, SyntheticBackup], tmp_path: Path
) -> None:
    big = 4 << 30 | 12345
    _sparse_payload(base_path, samples[PLAIN_ID], "Library/Sizes/one page.bin", big)
    saved = tmp_path / "big.zip"
    with (
        running_server(service_env(base_path, TOKEN, tmp_path), tmp_path, tmp_path / "server.log") as server,
        saved.open("wb") as out,
    ):
        with _client(server) as client:
            session = _session(client, PLAIN_ID, None)
        # curl reads the 4 GiB at the server's pace (a Python HTTP client takes several times as long).
        url = f"{server.url}/backups/{PLAIN_ID}/archive?path_like=Library/Sizes/%25"
        headers = [f"X-API-Token: {TOKEN}", f"X-Backup-Session: {session['X-Backup-Session']}"]
        command = ["curl", "-sS", "--fail", *(f"-H{header}" for header in headers), url]
        with subprocess.Popen(command, stdout=subprocess.PIPE) as curl:
            assert curl.stdout is not None
            while chunk := curl.stdout.read(1 << 20):
                if chunk.count(0) == len(chunk):
                    out.seek(len(chunk), os.SEEK_CUR)  # zeros: a hole, so the test writes little to disk
                else:
                    out.write(chunk)
        assert curl.returncode == 0
        out.truncate()
    archive = zipfile.ZipFile(saved)
    info = archive.getinfo("HomeDomain/Library/Sizes/one page.bin")
    assert info.file_size == big
    assert archive.testzip() is None
    # unzip reads the ZIP64 records (`-t` too, but at 100 MB/s: the other archives are tested whole).
    listed = subprocess.run([UNZIP, "-lv", str(saved)], capture_output=True, text=True, check=False)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert re.search(
        rf"^ *{big} +Stored +{big} .* HomeDomain/Library/Sizes/one page\.bin$", listed.stdout, re.M
    )


def test_a_lock_mid_archive_ends_it_with_one_log_line(big_server: RunningServer) -> None:
    with _client(big_server) as client:
        session = _session(client, ENCRYPTED_ID)
        path = f"/backups/{ENCRYPTED_ID}/archive"
        received = received_until_locked(client, ENCRYPTED_ID, path, session, {"domain": BIG_DOMAIN})
        assert received < BIG_FILES * BIG_FILE_SIZE
        assert client.get("/healthz").status_code == 200
    time.sleep(0.2)
    text = big_server.log.read_text()
    assert "Traceback" not in text
    assert text.count("A download stopped: its session ended") == 1


def _holds(path: Path, since: float) -> bool:
    try:
        return path.stat().st_mtime >= since and MARKER.encode() in path.read_bytes()
    except OSError:
        return False


def test_no_decrypted_byte_is_written_to_disk(tmp_path: Path) -> None:
    base = tmp_path / "backups"
    write_backup(base / ENCRYPTED_ID, marked_encrypted_spec(), seed=5)
    started = time.time()
    with (
        running_server(service_env(base, TOKEN, tmp_path), tmp_path, tmp_path / "server.log") as server,
        _client(server) as client,
    ):
        session = _session(client, ENCRYPTED_ID)
        for params in ({}, {"compress": "deflate"}):
            response = client.get(f"/backups/{ENCRYPTED_ID}/archive", params=params, headers=session)
            assert response.status_code == 200
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            marked = next(name for name in archive.namelist() if MARKER in name)
            assert MARKER.encode() in archive.read(marked)
    control = tmp_path / "control.txt"
    control.write_bytes(MARKER.encode())
    # The server's HOME, TMPDIR and working folder are tmp_path; RAM disks and the system's temporary
    # folders are where anything else would write (/tmp's own files, not its other tests' folders).
    roots = [tmp_path, Path("/dev/shm"), Path("/var/tmp")]
    top = [path for path in temporary_root().iterdir() if path.is_file() and not path.is_symlink()]
    found = [*files_holding(MARKER.encode(), started, roots), *(p for p in top if _holds(p, started))]
    holding = [path for path in found if not plaintext_by_design(path)]
    assert holding == [control], "the scan finds the plaintext it should, and only that"
