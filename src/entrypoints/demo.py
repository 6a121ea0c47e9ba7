"""`ios-backup-api demo [DIR]`: sample backups to try the API on, then the server over them."""

from pathlib import Path

from msgspec import structs

from ios_backup_api.adapters.backup_writer.samples import DEMO_PASSPHRASE, demo_backups
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.entrypoints.server import serve
from ios_backup_api.entrypoints.settings import Settings


def run_demo(settings: Settings, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, backup in demo_backups():
        target = folder / name
        if target.exists():
            print(f"Keeping the sample backup already at {target}")
            continue
        write_backup(target, backup)
        kind = "encrypted" if backup.passphrase else "unencrypted"
        print(f"Wrote an {kind} sample backup to {target}")
    print(f"The encrypted sample's passphrase is: {DEMO_PASSPHRASE}")
    paths = structs.replace(settings.backup_paths, base_path=folder)
    serve(structs.replace(settings, backup_paths=paths))
