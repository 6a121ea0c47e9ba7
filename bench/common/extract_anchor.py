"""iphone_backup_decrypt's extract_files over a whole backup, in a child process of its own: every file into
OUTPUT/<domain>/<relative_path>, as its documentation says to extract everything. Prints the file count."""

import sys

from iphone_backup_decrypt import EncryptedBackup


def main() -> None:
    folder, passphrase, output = sys.argv[1:4]
    backup = EncryptedBackup(backup_directory=folder, passphrase=passphrase)
    count = backup.extract_files(
        relative_paths_like="%",
        domain_like="%",
        output_folder=output,
        preserve_folders=True,
        domain_subfolders=True,
    )
    print(count)


if __name__ == "__main__":
    main()
