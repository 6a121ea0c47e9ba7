"""Load: N clients for S seconds against a real server on loopback, mixing manifest listings, downloads (whole
and ranged) and wrong-passphrase unlocks (a guesser: 400, then 429 once throttled). Reports the statuses,
listing latency (p50/p99) and the server's resident memory over the run. Exits 1 on any 5xx or broken
connection: those are failures, not figures."""

import asyncio
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.data import DATA_ROOT, PASSPHRASE, cached, device
from common.http import Connection, unlock
from common.manifests import manifest_entries
from common.report import Row, mebibytes, milliseconds, parser, publish
from common.server import Server, served
from common.stats import percentile

from ios_backup_api.adapters.backup_writer.spec import SyntheticEntry, SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup

BACKUP_ID = "00008110-00000000000000AA"
BIG_LIKE = "Media/DCIM/100APPLE/IMG_9%25.MOV"
MIB = 1 << 20
RSS_INTERVAL = 0.25
EXPECTED = {200, 206, 400, 429}
"""400 is a wrong passphrase, 429 a throttled one; anything else is a failure of the run."""


@dataclass(frozen=True)
class Load:
    name: str
    rows: int
    dpic: int
    clients: int
    seconds: float


FULL = Load("full", 20_000, 10_000_000, 50, 60)
SMOKE = Load("smoke", 600, 1000, 5, 3)


def data(load: Load) -> Path:
    """One encrypted backup: a phone-like manifest and a few files of 1 to 8 MiB, cached under bench/.data."""

    def write(base: Path) -> None:
        big = tuple(
            SyntheticFile.of_size("CameraRollDomain", f"Media/DCIM/100APPLE/IMG_9{n:03d}.MOV", size, seed=n)
            for n, size in enumerate((MIB, MIB, 2 * MIB, 2 * MIB, 4 * MIB, 8 * MIB))
        )
        entries: tuple[SyntheticEntry, ...] = (*manifest_entries(load.rows, 7), *big)
        write_backup(base / BACKUP_ID, device(BACKUP_ID, PASSPHRASE, load.dpic, entries), seed=7)

    return cached(DATA_ROOT / f"load-v1-{load.name}", write)


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latency: dict[str, list[float]] = field(default_factory=lambda: {"listing": [], "download": []})
    broken: list[str] = field(default_factory=list)
    bytes_read: int = 0


@dataclass
class Memory:
    before: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)

    def peak(self) -> int:
        return max(rss for _, rss in self.samples)

    def median_of(self, first: float, last: float) -> int:
        """The median RSS sampled between two fractions of the run (0.0 to 1.0)."""
        start, end = self.samples[0][0], self.samples[-1][0]
        window = [rss for at, rss in self.samples if first <= (at - start) / max(end - start, 1e-9) <= last]
        return sorted(window)[len(window) // 2]


async def sample_memory(server: Server, memory: Memory, stop: asyncio.Event) -> None:
    while not stop.is_set():
        memory.samples.append((time.monotonic(), server.rss()))
        await asyncio.sleep(RSS_INTERVAL)


async def client(
    server: Server,
    session: str,
    files: list[tuple[str, int]],
    rows: int,
    deadline: float,
    seed: int,
    tally: Tally,
) -> None:
    rng = random.Random(seed)
    base = f"/backups/{BACKUP_ID}"

    async def listing(connection: Connection) -> tuple[str, int]:
        query = rng.choice(
            [  # what a browsing client asks: pages of a folder-like view, a domain, a search
                f"limit=100&offset={rng.randrange(0, rows)}",
                f"limit=100&offset={rng.randrange(0, rows)}",
                f"domain=CameraRollDomain&limit=100&offset={rng.randrange(0, 1000)}",
                "path_like=Library/SMS/Attachments/%25&limit=50",
                "path_like=%25.jpg&kind=file&limit=100",
            ]
        )
        response = await connection.get(f"{base}/files?{query}")
        tally.latency["listing"].append(response.seconds)
        return "listing", response.status

    async def download(connection: Connection) -> tuple[str, int]:
        file_id, size = rng.choice(files)
        headers = None
        if rng.random() < 0.5 and size > 1:
            start = rng.randrange(0, size)
            headers = {"Range": f"bytes={start}-{start + rng.randrange(1, 1 << 20)}"}
        response = await connection.get(f"{base}/file/{file_id}", headers=headers)
        tally.latency["download"].append(response.seconds)
        tally.bytes_read += len(response.body)
        return "download", response.status

    async def guess(connection: Connection) -> tuple[str, int]:
        body = {"password": f"guess-{rng.random()}"}
        response = await connection.request("POST", f"{base}/unlock", body)
        return "wrong unlock", response.status

    actions: list[Callable[[Connection], Awaitable[tuple[str, int]]]] = (
        [listing] * 6 + [download] * 3 + [guess]
    )
    connection = Connection(server, session)
    try:
        while time.monotonic() < deadline:
            try:
                kind, status = await rng.choice(actions)(connection)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                tally.broken.append(f"{type(error).__name__}: {error}")
                await connection.close()
                continue
            tally.statuses[kind, status] += 1
    finally:
        await connection.close()


async def run(server: Server, load: Load) -> tuple[Tally, Memory, float, float]:
    session, _ = await unlock(server, BACKUP_ID, PASSPHRASE)
    async with Connection(server, session) as connection:
        listed = await connection.get(f"/backups/{BACKUP_ID}/files?kind=file&limit=1000")
        files = [(item["file_id"], item["size"] or 0) for item in listed.json()["items"]]
        big = await connection.get(f"/backups/{BACKUP_ID}/files?kind=file&path_like={BIG_LIKE}")
        files += [(item["file_id"], item["size"] or 0) for item in big.json()["items"]]
        rows = (await connection.get(f"/backups/{BACKUP_ID}/files?limit=1")).json()["total"]
    tally, memory, stop = Tally(), Memory(server.rss()), asyncio.Event()
    sampler = asyncio.create_task(sample_memory(server, memory, stop))
    started, cpu = time.monotonic(), server.cpu_seconds()
    deadline = started + load.seconds
    await asyncio.gather(
        *(client(server, session, files, rows, deadline, n, tally) for n in range(load.clients))
    )
    elapsed, cpu = time.monotonic() - started, server.cpu_seconds() - cpu
    stop.set()
    await sampler
    return tally, memory, elapsed, cpu


def report(load: Load, tally: Tally, memory: Memory, elapsed: float, cpu: float) -> bool:
    total = sum(tally.statuses.values())
    server_errors = sum(count for (_, status), count in tally.statuses.items() if status >= 500)
    unexpected = sum(count for (_, status), count in tally.statuses.items() if status not in EXPECTED)
    listing = tally.latency["listing"]
    by_status = ", ".join(
        f"{kind} {status}: {count}" for (kind, status), count in sorted(tally.statuses.items())
    )
    rows = [
        Row(f"requests ({load.clients} clients, {elapsed:.0f} s)", f"{total:,} ({total / elapsed:,.0f}/s)"),
        Row("answers by kind and status", by_status),
        Row("5xx answers", str(server_errors), target="0", met=server_errors == 0),
        Row("broken connections", str(len(tally.broken)), target="0", met=not tally.broken),
        Row("other unexpected statuses", str(unexpected), target="0", met=unexpected == 0),
        Row("listing latency p50", milliseconds(percentile(listing, 0.5)) if listing else "—"),
        Row("listing latency p99", milliseconds(percentile(listing, 0.99)) if listing else "—"),
        # Less sensitive than the rate to other programs on the machine: what each answer cost the server.
        Row("server CPU per request", milliseconds(cpu / max(total, 1))),
        Row("server CPU used (cores, on average)", f"{cpu / elapsed:.2f}"),
        Row("downloaded", mebibytes(tally.bytes_read)),
        Row("server RSS before the load (session unlocked)", mebibytes(memory.before)),
        Row(
            "server RSS by quarter of the run (medians)",
            " / ".join(mebibytes(memory.median_of(q / 4, (q + 1) / 4)) for q in range(4)),
        ),
        Row("server RSS, peak", mebibytes(memory.peak())),
    ]
    publish(f"Load: {load.clients} clients mixing listings, downloads and wrong unlocks", rows)
    for line in sorted(set(tally.broken))[:10]:
        print(f"broken: {line}", file=sys.stderr)
    return server_errors == 0 and not tally.broken and unexpected == 0


def main() -> int:
    arguments = parser(__doc__)
    arguments.add_argument("--clients", type=int, help="concurrent clients (default 50; 5 with --smoke)")
    arguments.add_argument("--seconds", type=float, help="duration (default 60; 3 with --smoke)")
    args = arguments.parse_args()
    preset = SMOKE if args.smoke else FULL
    load = Load(
        preset.name,
        preset.rows,
        preset.dpic,
        min(max(1, args.clients or preset.clients), 500),
        min(max(0.5, args.seconds or preset.seconds), 600),
    )
    base = data(load)
    with served(base) as server:
        tally, memory, elapsed, cpu = asyncio.run(run(server, load))
    return 0 if report(load, tally, memory, elapsed, cpu) else 1


if __name__ == "__main__":
    sys.exit(main())
