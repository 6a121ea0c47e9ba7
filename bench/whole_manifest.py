"""Every row of the 300,000-row manifest with its metadata: ours in one /files.ndjson stream (each line
parsed by the standard library's json as it arrives) and paged over HTTP (1,000 a page, one connection), once
the backup is unlocked and its first page answered, beside each peer's listing of every row
with its record decoded (in a child process, once unlocked), in interleaved rounds; with each peer's peak
memory for it. mvt has no listing of its own (its modules query the manifest for what they look for)."""

import asyncio
import sys
from functools import partial

from common.data import BIG_ID, PASSPHRASE, phones, scale
from common.http import Connection, all_lines, all_rows, unlock
from common.peers import Peer, able, run
from common.report import Figure, Row, mebibytes, parser, publish, ratio, seconds
from common.server import Server, served
from common.stats import interleaved, median

_PAGE = 1000
_PAGED = "ours, pages of 1,000"


async def unlocked(server: Server) -> str:
    session, _ = await unlock(server, BIG_ID, PASSPHRASE)
    async with Connection(server, session) as connection:
        first = await connection.get(f"/backups/{BIG_ID}/files?limit={_PAGE}")
    if first.status != 200:
        raise RuntimeError(f"first page: {first.status}")
    return session


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    runs = 1 if args.smoke else 3
    base = phones(size)
    folder = base / BIG_ID
    peers = able("list_all")
    with served(base) as server:
        session = asyncio.run(unlocked(server))

        def ours() -> dict[str, float]:
            elapsed, listed = asyncio.run(all_lines(server, session, BIG_ID))
            return {"seconds": elapsed, "rows": listed}

        def ours_paged() -> dict[str, float]:
            elapsed, listed = asyncio.run(all_rows(server, session, BIG_ID, _PAGE))
            return {"seconds": elapsed, "rows": listed}

        def peer_list(peer: Peer) -> dict[str, float]:
            return run(peer, "list_all", folder, PASSPHRASE)

        results = interleaved(
            runs,
            {
                "ours": ours,
                _PAGED: ours_paged,
                **{peer.name: partial(peer_list, peer) for peer in peers},
            },
        )
    for name, runs_ in results.items():
        if any(result["rows"] != size.manifest_rows for result in runs_):
            raise RuntimeError(
                f"{name} listed {[result['rows'] for result in runs_]} of {size.manifest_rows}"
            )
    times = {name: median([result["seconds"] for result in runs_]) for name, runs_ in results.items()}
    work = f"all {size.manifest_rows:,} rows listed with their metadata"
    rows = [
        Row(
            f"{work}: vs {peer.name}",
            f"{seconds(times['ours'])} (one /files.ndjson stream; {seconds(times[_PAGED])} in pages of"
            f" {_PAGE:,})",
            f"{seconds(times[peer.name])} ({peer.label('list_all')}; peak memory, every row held, "
            f"+{mebibytes(max(result['rss_growth'] for result in results[peer.name]))})",
            ratio(times["ours"], times[peer.name]),
            "< 1×",
            times["ours"] < times[peer.name],
        )
        for peer in peers
    ]
    publish("Whole manifest", rows, args.smoke, [Figure(f"{work}, s", "s", False, times)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
