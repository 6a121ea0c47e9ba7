"""iphone_backup_decrypt run in a child process, so its peak memory is its own; prints JSON."""

import json
import os
import resource
import sys
import time

from iphone_backup_decrypt import EncryptedBackup


def rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    folder, passphrase, action, domain, path, output = sys.argv[1:7]
    backup = EncryptedBackup(backup_directory=folder, passphrase=passphrase)
    backup.test_decryption()
    before = rss()
    started = time.perf_counter()
    result: dict[str, float] = {}
    if action == "extract_file":
        backup.extract_file(relative_path=path, domain_like=domain, output_filename=output)
        result["seconds"] = time.perf_counter() - started
        with open(output, "rb") as file:  # what a user of the library does for the last MiB
            file.seek(-(1 << 20), os.SEEK_END)
            file.read()
        result["seconds_with_tail"] = time.perf_counter() - started
        os.unlink(output)
    else:
        data = backup.extract_file_as_bytes(path, domain_like=domain)
        result["seconds"] = time.perf_counter() - started
        result["size"] = len(data)
    result["rss_growth"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    del backup
    print(json.dumps(result))


if __name__ == "__main__":
    main()
