"""What an unlocked 300,000-row manifest costs the server: its memory after one session (index built, the
four page queries run) and after four sessions of the same backup, against the manifest's size.

Memory is the server's anonymous and file-backed resident memory, plus the RAM files it holds (a manifest
held in memory lives in one, read by SQLite in place; its mapped pages are counted once). With the default
settings this manifest (289 MiB) is read page by page from its file, so only its order index is held."""

import asyncio
import os
import sys
from pathlib import Path

from common.data import BIG_ID, PASSPHRASE, phones, scale, sized_manifests
from common.http import Connection, unlock
from common.report import Row, mebibytes, parser, publish
from common.sampling import peak_of
from common.server import Server, served
from manifest_pages import queries

_SESSIONS = 4
_SETTLED = 6.0


def _status(pid: int) -> dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[name] = int(value.split()[0]) * 1024
    return fields


def ram_files(pid: int) -> dict[tuple[int, int], int]:
    """Bytes of the tmpfs files the process holds open after their names were removed, by file (each file
    once, however many descriptors it has)."""
    sizes = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        path = f"/proc/{pid}/fd/{fd}"
        try:
            target = os.readlink(path)
            if target.startswith("/dev/shm/") and target.endswith("(deleted)"):
                status = os.stat(path)
                sizes[status.st_dev, status.st_ino] = status.st_blocks * 512
        except OSError:
            continue
    return sizes


def footprint(server: Server) -> int:
    """Of the server's processes (its workers' too), each RAM file counted once."""
    total, files = 0, {}
    for pid in server.pids():
        try:
            status = _status(pid)
            files.update(ram_files(pid))
        except OSError:
            continue  # ended meanwhile
        total += status["RssAnon"] + status["RssFile"]
    return total + sum(files.values())


async def session_with_pages(server: Server, smoke: bool, backup_id: str = BIG_ID) -> str:
    session, _ = await unlock(server, backup_id, PASSPHRASE)
    async with Connection(server, session) as connection:
        for query in queries(scale(smoke)):
            response = await connection.get(query.path(0, 0).replace(BIG_ID, backup_id))
            if response.status != 200:
                raise RuntimeError(f"{query.label}: {response.status}")
        await connection.get(f"/backups/{backup_id}/domains")
    return session


async def measure(server: Server, smoke: bool) -> tuple[int, int, int, int]:
    await asyncio.sleep(0.5)
    before = footprint(server)
    with peak_of(lambda: footprint(server), interval=0.005) as peak:
        await session_with_pages(server, smoke)
        # The wiping of the load's buffers, if any, is done, and so is the decoding of a paged manifest's
        # records (about 2 s of an idle server for 300,000 rows: see adapters/vault/manifest_records).
        await asyncio.sleep(_SETTLED)
    one = footprint(server)
    for _ in range(_SESSIONS - 1):
        await session_with_pages(server, smoke)
    await asyncio.sleep(_SETTLED)
    return before, one, footprint(server), peak.highest


async def measure_one(server: Server, smoke: bool, backup_id: str) -> int:
    """The memory one session of `backup_id` (its pages queried, its records decoded) adds."""
    await asyncio.sleep(0.5)
    before = footprint(server)
    await session_with_pages(server, smoke, backup_id)
    await asyncio.sleep(_SETTLED)
    return footprint(server) - before


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    base = phones(size)
    manifest = Path(base / BIG_ID / "Manifest.db").stat().st_size
    with served(base) as server:
        before, one, several, highest = asyncio.run(measure(server, args.smoke))
    rows = []
    for sessions, after in ((1, one), (_SESSIONS, several)):
        growth = after - before
        rows.append(
            Row(
                f"memory of the unlocked backup ({mebibytes(manifest)} manifest), {sessions} session(s)",
                f"{mebibytes(growth)} = {growth / manifest:.2f}× the manifest",
                target="≤ 0.35× the manifest",
                met=growth <= 0.35 * manifest,
            )
        )
    rows.append(
        Row(
            "highest memory while unlocking and indexing it",
            f"{mebibytes(highest - before)} = {(highest - before) / manifest:.2f}× the manifest",
        )
    )
    for rows_in_it, (sized_base, backup_id) in sized_manifests(size).items():
        sized = Path(sized_base / backup_id / "Manifest.db").stat().st_size
        with served(sized_base) as server:
            growth = asyncio.run(measure_one(server, args.smoke, backup_id))
        bound = 0.35 if rows_in_it >= 200_000 else 0.5
        rows.append(
            Row(
                f"memory of an unlocked backup of {rows_in_it:,} rows ({mebibytes(sized)} manifest),"
                " 1 session",
                f"{mebibytes(growth)} = {growth / sized:.2f}× the manifest",
                target=f"≤ {bound}× the manifest",
                met=growth <= bound * sized,
            )
        )
    publish("Memory", rows, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
