"""POST /backups/refresh over HTTP when nothing changed, for 2, 50 and 200 backups of few or many files,
beside a walk of every file of the same folders (what the original web tool does on each refresh)."""

import asyncio
import os
import sys
import time
from pathlib import Path

from common.data import Scale, refresh_base, scale
from common.http import Connection
from common.report import Row, milliseconds, parser, publish, ratio
from common.server import Server, served
from common.stats import median


async def refreshes(server: Server, count: int) -> list[float]:
    timings = []
    async with Connection(server) as connection:
        for _ in range(count):
            response = await connection.request("POST", "/backups/refresh")
            if response.status != 200:
                raise RuntimeError(f"refresh answered {response.status}: {response.body[:200]!r}")
            timings.append(response.seconds)
    return timings


def walk_every_file(base: Path) -> float:
    """The anchor's way: every file of every backup visited and stat'ed."""
    started = time.perf_counter()
    total = 0
    for root, _, names in os.walk(base):
        for name in names:
            total += os.stat(os.path.join(root, name)).st_size
    return time.perf_counter() - started


def configurations(size: Scale) -> list[tuple[int, int]]:
    """(backups, files in each): the number of backups grows, then the number of files."""
    many, few = size.refresh_files, max(1, size.refresh_files // 10)
    return [
        (2, many),
        (size.refresh_backups // 4, many),
        (size.refresh_backups, few),
        (size.refresh_backups, many),
    ]


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    count = 3 if args.smoke else 20
    rows = []
    for backups, files in configurations(size):
        base = refresh_base(size, backups, files)
        with served(base) as server:
            ours = median(asyncio.run(refreshes(server, count)))
        walk_every_file(base)  # warm: both sides stat from the inode cache
        anchor = median([walk_every_file(base) for _ in range(max(3, count // 4))])
        is_target = backups == size.refresh_backups
        rows.append(
            Row(
                f"refresh, nothing changed: {backups} backups of {files:,} files",
                milliseconds(ours),
                f"{milliseconds(anchor)} (stat of every file, as the web tool walks)",
                ratio(ours, anchor),
                "≤ 1 s" if is_target else "",
                ours <= 1.0 if is_target else None,
            )
        )
    publish("Refresh", rows, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
