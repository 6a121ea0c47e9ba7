"""Unlock over HTTP beside every peer's unlock, on a small manifest and a 300,000-row one, in interleaved
rounds, with the latency of /healthz measured all along (the event loop must keep answering), and what each
leaves in its temporary folder."""

import asyncio
import plistlib
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from common.data import BIG_ID, PASSPHRASE, SMALL_ID, Scale, phones, scale
from common.http import Connection, lock, unlock
from common.peers import IPHONE_BACKUP_DECRYPT, Peer, able, left_in, run
from common.report import Figure, Row, mebibytes, milliseconds, parser, publish, ratio, seconds
from common.server import Server, served
from common.stats import interleaved, median, percentile
from iphone_backup_decrypt.utils import BackupKeyBag, pbkdf2_hmac

_HEALTH_INTERVAL = 0.005
_AFTERMATH = 1.0  # /healthz keeps being timed this long after an unlock returns (work left in background)


_DERIVATION = "PBKDF2"


def derivation(folder: Path) -> float:
    """Seconds to derive the passphrase's key as every unlock of the backup must (the floor of any unlock):
    PBKDF2-SHA256 (DPIC iterations), then PBKDF2-SHA1 (ITER iterations), by the function our keybag's
    library (iphone_backup_decrypt) derives it with."""
    keybag = BackupKeyBag(plistlib.loads((folder / "Manifest.plist").read_bytes())["BackupKeyBag"])
    attrs = keybag.attrs
    started = time.perf_counter()
    first = pbkdf2_hmac("sha256", PASSPHRASE.encode(), attrs[b"DPSL"], attrs[b"DPIC"], 32)
    pbkdf2_hmac("sha1", first, attrs[b"SALT"], attrs[b"ITER"], 32)
    return time.perf_counter() - started


async def timed_unlocks(server: Server, backup_id: str, runs: int) -> tuple[list[float], list[float]]:
    """Unlock and lock `runs` times while /healthz is polled; (unlock seconds, /healthz seconds)."""
    health: list[float] = []
    busy = asyncio.Event()

    async def poll() -> None:
        async with Connection(server) as connection:
            while True:
                await busy.wait()
                health.append((await connection.get("/healthz")).seconds)
                await asyncio.sleep(_HEALTH_INTERVAL)

    poller = asyncio.create_task(poll())
    unlocks = []
    try:
        for _ in range(runs):
            busy.set()
            session, elapsed = await unlock(server, backup_id, PASSPHRASE)
            unlocks.append(elapsed)
            await asyncio.sleep(_AFTERMATH)
            busy.clear()
            await lock(server, backup_id, session)
            await asyncio.sleep(0.2)
    finally:
        poller.cancel()
    return unlocks, health


def warm(folder: Path) -> None:
    """Every tool reads Manifest.db from the page cache."""
    with (folder / "Manifest.db").open("rb") as file:
        while file.read(1 << 24):
            pass


def main() -> int:
    args = parser(__doc__).parse_args()
    size: Scale = scale(args.smoke)
    runs = 1 if args.smoke else 5
    base = phones(size)
    peers = able("unlock")
    rows, figures = [], []
    healths: list[float] = []
    left: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="ios-backup-bench-tmp-") as server_tmp:
        with served(base, {"TMPDIR": server_tmp}) as server:
            for backup_id, label, bound in ((SMALL_ID, "small manifest", 1.05), (BIG_ID, "manifest", 0.65)):
                folder = base / backup_id
                warm(folder)

                def ours(backup_id: str = backup_id) -> float:
                    unlocks, health = asyncio.run(timed_unlocks(server, backup_id, 1))
                    healths.extend(health)
                    return unlocks[0]

                def peer_unlock(peer: Peer, folder: Path = folder) -> float:
                    result = run(peer, "unlock", folder, PASSPHRASE)
                    left[peer.name] = max(left.get(peer.name, 0), int(result["left_behind"]))
                    return result["unlock_seconds"]

                measures = {peer.name: partial(peer_unlock, peer) for peer in peers}
                floor = {_DERIVATION: partial(derivation, folder)}
                times = {
                    name: median(values)
                    for name, values in interleaved(runs, {"ours": ours, **floor, **measures}).items()
                }
                rows_of = f" of {size.manifest_rows:,} rows" if backup_id == BIG_ID else ""
                work = f"unlock, {size.dpic:,} iterations, {label}{rows_of}"
                anchor_s = times[IPHONE_BACKUP_DECRYPT.name]
                rows.append(
                    Row(
                        work,
                        seconds(times["ours"]),
                        f"{seconds(anchor_s)} ({IPHONE_BACKUP_DECRYPT.label('unlock')})",
                        ratio(times["ours"], anchor_s),
                        f"≤ {bound}× anchor",
                        times["ours"] <= bound * anchor_s,
                    )
                )
                beyond = times["ours"] - times[_DERIVATION]
                rows.append(
                    Row(
                        f"{work}: beyond the key's derivation (PBKDF2-SHA256, then -SHA1), same rounds",
                        milliseconds(beyond),
                        f"{seconds(times[_DERIVATION])} (PBKDF2, both rounds, pycryptodome)",
                        target="≤ 30 ms",
                        met=beyond <= 0.030,
                    )
                )
                rows += [
                    Row(
                        f"{work}: vs {peer.name}",
                        seconds(times["ours"]),
                        f"{seconds(times[peer.name])} ({peer.label('unlock')})",
                        ratio(times["ours"], times[peer.name]),
                        "< 1×",
                        times["ours"] < times[peer.name],
                    )
                    for peer in peers
                    if peer is not IPHONE_BACKUP_DECRYPT
                ]
                figures.append(Figure(f"{work}, s", "s", False, times))
            ours_left = left_in(Path(server_tmp))
        worst = max(healths)
        rows.append(
            Row(
                f"/healthz every 5 ms during and 1 s after the unlocks ({len(healths):,} answers): slowest",
                f"{milliseconds(worst)} (p99 {milliseconds(percentile(healths, 0.99))})",
                target="≤ 20 ms",
                met=worst <= 0.020,
            )
        )
        rows.append(
            Row(
                "left in the temporary folder (TMPDIR) after the unlocks (the bench removes it)",
                mebibytes(ours_left),
                "; ".join(f"{name}: {mebibytes(count)}" for name, count in left.items()),
                target="nothing",
                met=ours_left == 0,
            )
        )
    publish("Unlock", rows, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
