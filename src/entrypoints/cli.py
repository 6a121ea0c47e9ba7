"""`ios-backup-api`: serve, scan, db upgrade, demo."""

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
    return parser


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


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    raise SystemExit(main())
