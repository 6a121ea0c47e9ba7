"""`ios-backup-api`: serve, scan, db upgrade, demo, extract, decrypt."""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from ios_backup_api.entrypoints.manifest_memory import ram_files_for
from ios_backup_api.entrypoints.settings import Settings, SettingsError, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.run in (_serve, _demo):  # a RAM folder not in RAM stops a start, not the first unlock
            ram_files_for(settings.manifest)
    except SettingsError as error:
        print(f"ios-backup-api: bad configuration: {error}", file=sys.stderr)
        return 2
    command: int = args.run(settings, args)
    return command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ios-backup-api", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the API (settings from IOS_BACKUP_* and .env)")
    serve.set_defaults(run=_serve)
    scan = commands.add_parser("scan", help="print a table of the backups under the base path")
    scan.set_defaults(run=_scan)
    db = commands.add_parser("db", help="catalog database tasks")
    db_commands = db.add_subparsers(required=True, metavar="TASK")
    db_commands.add_parser("upgrade", help="apply the catalog's migrations").set_defaults(run=_db_upgrade)
    demo = commands.add_parser(
        "demo", help="write an encrypted and a plain sample backup into DIR and serve them"
    )
    demo.add_argument("dir", nargs="?", default="demo-backups", type=Path)
    demo.set_defaults(run=_demo)
    extract = commands.add_parser(
        "extract",
        help="write a backup's files into DEST/<domain>/<relative_path> (resumes; passphrase from"
        " IOS_BACKUP_PASSPHRASE, --password-file or a prompt)",
    )
    _backup_and_destination(extract)
    extract.add_argument("--domain", help="only this domain (exact)")
    extract.add_argument("--path-like", help="only relative paths matching this SQL LIKE pattern (%%, _)")
    extract.add_argument("--kind", choices=["file", "directory", "symlink"], help="only entries of this kind")
    extract.set_defaults(run=_extract)
    decrypt = commands.add_parser(
        "decrypt",
        help="make DEST a decrypted copy of the backup folder, which other tools read as unencrypted",
    )
    _backup_and_destination(decrypt)
    decrypt.set_defaults(run=_decrypt)
    return parser


def _backup_and_destination(command: argparse.ArgumentParser) -> None:
    command.add_argument("backup_id", metavar="BACKUP_ID", help="a backup's folder name under the base path")
    command.add_argument("dest", metavar="DEST", type=Path, help="the folder to write (made if missing)")
    command.add_argument(
        "--password-file",
        type=Path,
        help="read the passphrase from this file (one trailing newline is not part of it)",
    )


def _serve(settings: Settings, _: argparse.Namespace) -> int:
    from ios_backup_api.entrypoints.server import serve

    serve(settings)
    return 0


def _scan(settings: Settings, _: argparse.Namespace) -> int:
    from ios_backup_api.entrypoints.scan_table import print_scan

    asyncio.run(print_scan(settings))
    return 0


def _db_upgrade(settings: Settings, _: argparse.Namespace) -> int:
    from ios_backup_api.adapters.sql.migrate import upgrade_schema

    asyncio.run(upgrade_schema(settings.database.url))
    print(f"Catalog schema is up to date ({_safe_url(settings.database.url)}).")
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from ios_backup_api.entrypoints.demo import run_demo

    run_demo(settings, args.dir)
    return 0


def _extract(settings: Settings, args: argparse.Namespace) -> int:
    from ios_backup_api.domain.manifest import EntryKind
    from ios_backup_api.domain.services.selection import Selection
    from ios_backup_api.entrypoints.export.commands import run_extract

    kind = None if args.kind is None else EntryKind(args.kind)
    selection = Selection(args.domain, args.path_like, kind)
    return run_extract(settings, args.backup_id, args.dest, selection, args.password_file)


def _decrypt(settings: Settings, args: argparse.Namespace) -> int:
    from ios_backup_api.entrypoints.export.commands import run_decrypt

    return run_decrypt(settings, args.backup_id, args.dest, args.password_file)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
