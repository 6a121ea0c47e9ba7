"""One peer library's action, in a process of its own so that its time and peak memory are its own; prints
JSON. bench/common/peers.py runs it with the interpreter that has the peer installed (the project's, or mvt's
own virtual environment), so it imports nothing of the project: the standard library and the peer only.

    python peer_run.py PEER ACTION FOLDER PASSPHRASE [DOMAIN PATH] [OUTPUT]

Each peer is called as its documentation (its source) says a user does:
- iphone_backup_decrypt 0.11.2: `EncryptedBackup(backup_directory=, passphrase=)`, `test_decryption()` (the
  keybag, Manifest.db decrypted to a temporary file and opened), `extract_file`, `extract_file_as_bytes`,
  `extract_files`, `manifest_db_cursor()` and `utils.FilePlist` for every row's metadata;
- pyiosbackup 0.2.4: `Backup.from_path(path, password)` (decrypts Manifest.db into a temporary file it never
  removes), `extract_domain_and_path`, `get_entry_by_domain_and_path(...).read_bytes()`, `unback`,
  `extract_all`, `iter_entries`;
- iOSbackup 0.9.925: `iOSbackup(udid=, cleartextpassword=, backuproot=)` (decrypts Manifest.db into a
  temporary file, removed by `close()`), `getFileDecryptedCopy`, `getRelativePathDecryptedData`,
  `getFolderDecryptedCopy`, `getBackupFilesList` and `getFileInfo`;
- mvt 2026.10.26: `DecryptBackup(path, dest).decrypt_with_password()` (its `MVTEncryptedBackup`, on
  iphone_backup_decrypt 0.10.0, and `test_decryption()`), then `process_backup()`: what `mvt-ios
  decrypt-backup` runs.
"""

import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

_MIB = 1 << 20


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


class _Memory:
    """The growth of this process's peak resident memory over what it held when the block began (the
    kernel's high-water mark is reset at the start, so an earlier peak does not count)."""

    def __enter__(self) -> "_Memory":
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        self.before = _status("VmRSS")
        self.growth = 0
        return self

    def __exit__(self, *_: object) -> None:
        self.growth = max(0, _status("VmHWM") - self.before)


class _IphoneBackupDecrypt:
    def __init__(self, folder: Path, passphrase: str) -> None:
        from iphone_backup_decrypt import EncryptedBackup

        self.backup = EncryptedBackup(backup_directory=str(folder), passphrase=passphrase)
        self.backup.test_decryption()

    def extract_file(self, domain: str, path: str, output: Path) -> None:
        self.backup.extract_file(relative_path=path, domain_like=domain, output_filename=str(output))

    def as_bytes(self, domain: str, path: str) -> bytes:
        data: bytes = self.backup.extract_file_as_bytes(path, domain_like=domain)
        return data

    def extract_all(self, output: Path) -> None:
        self.backup.extract_files(
            relative_paths_like="%",
            domain_like="%",
            output_folder=str(output),
            preserve_folders=True,
            domain_subfolders=True,
        )

    def list_all(self) -> int:
        from iphone_backup_decrypt.utils import FilePlist

        with self.backup.manifest_db_cursor() as cursor:
            cursor.execute(
                "SELECT fileID, domain, relativePath, flags, file FROM Files ORDER BY domain, relativePath"
            )
            return len([(*row[:4], FilePlist(row[4])) for row in cursor])

    def close(self) -> None:
        del self.backup  # its destructor removes its temporary plaintext Manifest.db


class _Pyiosbackup:
    def __init__(self, folder: Path, passphrase: str) -> None:
        from pyiosbackup import Backup

        self.backup = Backup.from_path(folder, passphrase)

    def extract_file(self, domain: str, path: str, output: Path) -> None:
        self.backup.extract_domain_and_path(domain, path, output)

    def as_bytes(self, domain: str, path: str) -> bytes:
        data: bytes = self.backup.get_entry_by_domain_and_path(domain, path).read_bytes()
        return data

    def extract_all(self, output: Path) -> None:
        self.backup.unback(output)

    def decrypted_copy(self, output: Path) -> None:
        self.backup.extract_all(output)

    def list_all(self) -> int:
        return len(list(self.backup.iter_entries()))

    def close(self) -> None:
        del self.backup  # nothing removes its temporary Manifest.db: peers.py does, and says so


class _IOSbackup:
    def __init__(self, folder: Path, passphrase: str) -> None:
        from iOSbackup import iOSbackup

        self.backup = iOSbackup(udid=folder.name, cleartextpassword=passphrase, backuproot=str(folder.parent))

    def extract_file(self, domain: str, path: str, output: Path) -> None:
        # It finds a file by its relative path alone (the first domain that has it); the bench's are unique.
        self.backup.getFileDecryptedCopy(
            relativePath=path, targetFolder=str(output.parent), targetName=output.name
        )

    def as_bytes(self, domain: str, path: str) -> bytes:
        _, data = self.backup.getRelativePathDecryptedData(path)
        return bytes(data)

    def extract_all(self, output: Path) -> None:
        domains = self.backup.getDomains()
        self.backup.getFolderDecryptedCopy(relativePath="", includeDomains=domains, targetFolder=str(output))

    def list_all(self) -> int:
        from iOSbackup import iOSbackup

        # Its list's rows hold the raw records; its users decode one's size, times and mode with getFileInfo.
        return len([(row, iOSbackup.getFileInfo(row["file"])) for row in self.backup.getBackupFilesList()])

    def close(self) -> None:
        self.backup.close()  # removes its temporary Manifest.db


class _Mvt:
    def __init__(self, folder: Path, passphrase: str) -> None:
        from mvt.ios.decrypt import DecryptBackup

        self.decrypt = DecryptBackup(str(folder))
        self.decrypt.decrypt_with_password(passphrase)
        if not self.decrypt.can_process():
            raise RuntimeError("mvt could not unlock the backup (its log above says why)")

    def decrypted_copy(self, output: Path) -> None:
        self.decrypt.dest_path = str(
            output
        )  # what `mvt-ios decrypt-backup -d OUTPUT` passes to its constructor
        self.decrypt.process_backup()

    def close(self) -> None:
        del self.decrypt  # iphone_backup_decrypt's destructor removes the temporary Manifest.db


_PEERS: dict[str, tuple[str, Any]] = {
    "iphone_backup_decrypt": ("iphone_backup_decrypt", _IphoneBackupDecrypt),
    "pyiosbackup": ("pyiosbackup", _Pyiosbackup),
    "iOSbackup": ("iOSbackup", _IOSbackup),
    "mvt": ("mvt.ios.decrypt", _Mvt),
}
"""Each peer's module (imported before the clock starts: no row counts an import) and its calls."""


def main() -> None:
    peer, action, folder, passphrase, *rest = sys.argv[1:]
    module, kind = _PEERS[peer]
    importlib.import_module(module)
    result: dict[str, float] = {}
    started = time.perf_counter()
    with _Memory() as memory:
        backup = kind(Path(folder), passphrase)
    result["unlock_seconds"] = time.perf_counter() - started
    result["unlock_rss_growth"] = memory.growth
    if action == "extract_file":
        domain, path, output = rest
        started = time.perf_counter()
        with _Memory() as memory:
            backup.extract_file(domain, path, Path(output))
        result["seconds"] = time.perf_counter() - started
        result["rss_growth"] = memory.growth
        result["size"] = os.path.getsize(output)
        with open(output, "rb") as file:  # what a user of the library does for the last MiB: it has no ranges
            file.seek(-_MIB, os.SEEK_END)
            file.read()
        result["seconds_with_tail"] = time.perf_counter() - started
        os.unlink(output)
    elif action == "as_bytes":
        domain, path = rest
        started = time.perf_counter()
        with _Memory() as memory:
            data = backup.as_bytes(domain, path)
        result["seconds"] = time.perf_counter() - started
        result["rss_growth"] = memory.growth
        result["size"] = len(data)
        del data
    elif action in ("extract_all", "decrypted_copy"):
        (output,) = rest
        started = time.perf_counter()
        with _Memory() as memory:
            getattr(backup, action)(Path(output))
        result["seconds"] = time.perf_counter() - started
        result["rss_growth"] = memory.growth
    elif action == "list_all":
        started = time.perf_counter()
        with _Memory() as memory:
            result["rows"] = backup.list_all()
        result["seconds"] = time.perf_counter() - started
        result["rss_growth"] = memory.growth
    elif action != "unlock":
        raise SystemExit(f"unknown action {action!r}")
    backup.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
