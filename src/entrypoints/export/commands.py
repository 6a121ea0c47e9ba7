"""The two commands as the CLI runs them: one sentence and an exit status for whatever stops them."""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from ios_backup_api.adapters.vault.handle import IosOpenBackup
from ios_backup_api.domain.errors import InvalidQueryError
from ios_backup_api.domain.services.selection import Selection
from ios_backup_api.entrypoints.export.decrypt import decrypt
from ios_backup_api.entrypoints.export.extract import extract, totals
from ios_backup_api.entrypoints.export.opening import opened_backup
from ios_backup_api.entrypoints.export.passphrase import passphrase_source
from ios_backup_api.entrypoints.export.problems import CommandError
from ios_backup_api.entrypoints.export.progress import Report
from ios_backup_api.entrypoints.settings import Settings

_MIB = 1 << 20
STOPPED = 130
"""Ctrl-C: what was written whole stays, a file being written is not left under its name."""


def run_extract(
    settings: Settings, backup_id: str, destination: Path, selection: Selection, password_file: Path | None
) -> int:
    async def extracting() -> int:
        async with opened_backup(
            settings, backup_id, destination, passphrase_source(password_file)
        ) as opened:
            await asyncio.to_thread(destination.mkdir, parents=True, exist_ok=True)
            found = await totals(opened.backup, selection)
            with Report("extract", found.files, found.size) as report:
                await extract(opened.backup, selection, destination, report)
        print(_summary("Extracted", report, destination))
        return 1 if report.problems else 0

    return _run(extracting)


def run_decrypt(settings: Settings, backup_id: str, destination: Path, password_file: Path | None) -> int:
    async def decrypting() -> int:
        async with opened_backup(
            settings, backup_id, destination, passphrase_source(password_file)
        ) as opened:
            if not isinstance(opened.backup, IosOpenBackup):
                raise TypeError("decrypt needs the vault of backup folders")
            await asyncio.to_thread(destination.mkdir, parents=True, exist_ok=True)
            found = await totals(opened.backup, Selection())
            with Report("decrypt", found.files, found.size) as report:
                await decrypt(opened.backup, opened.folder, destination, report)
        print(_summary("Decrypted", report, destination))
        return 1 if report.problems else 0

    return _run(decrypting)


def _run(command: Callable[[], Awaitable[int]]) -> int:
    async def main() -> int:
        return await command()

    try:
        return asyncio.run(main())
    except CommandError as error:
        print(f"ios-backup-api: {error}", file=sys.stderr)
        return error.status
    except InvalidQueryError as error:
        print(f"ios-backup-api: bad selection: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "ios-backup-api: stopped; the same command again goes on where this one stopped.", file=sys.stderr
        )
        return STOPPED


def _summary(verb: str, report: Report, destination: Path) -> str:
    again = f", {report.skipped:,} of them already there" if report.skipped else ""
    problems = f"; {report.problems:,} left out (see above)" if report.problems else ""
    return (
        f"{verb} {report.files_done - report.problems:,} files ({report.bytes_done / _MIB:,.1f} MiB{again})"
        f" into {destination} in {report.seconds:.1f} s{problems}."
    )
