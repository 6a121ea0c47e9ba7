"""Unlock over HTTP against iphone_backup_decrypt's, on a small manifest and a 300,000-row one, with the
latency of /healthz measured all along (the event loop must keep answering)."""

import asyncio
import sys
import time
from pathlib import Path

from common.data import BIG_ID, PASSPHRASE, SMALL_ID, Scale, phones, scale
from common.http import Connection, lock, unlock
from common.report import Row, milliseconds, parser, publish, ratio, seconds
from common.server import Server, served
from common.stats import median, percentile
from iphone_backup_decrypt import EncryptedBackup
from iphone_backup_decrypt.utils import BackupKeyBag, pbkdf2_hmac

_HEALTH_INTERVAL = 0.005
_AFTERMATH = 1.0  # /healthz keeps being timed this long after an unlock returns (work left in background)


def anchor_unlock(folder: Path) -> float:
    """What a library user waits for before the first query: keybag, Manifest.db decrypted and opened."""
    started = time.perf_counter()
    backup = EncryptedBackup(backup_directory=str(folder), passphrase=PASSPHRASE)
    backup.test_decryption()
    elapsed = time.perf_counter() - started
    del backup  # removes its plaintext temporary copy of Manifest.db
    return elapsed


def pbkdf2_alone(folder: Path) -> float:
    import plistlib

    keybag = BackupKeyBag(plistlib.loads((folder / "Manifest.plist").read_bytes())["BackupKeyBag"])
    started = time.perf_counter()
    pbkdf2_hmac("sha256", PASSPHRASE.encode(), keybag.attrs[b"DPSL"], keybag.attrs[b"DPIC"], 32)
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
    """Both sides read Manifest.db from the page cache."""
    with (folder / "Manifest.db").open("rb") as file:
        while file.read(1 << 24):
            pass


def main() -> int:
    args = parser(__doc__).parse_args()
    size: Scale = scale(args.smoke)
    runs = 1 if args.smoke else 5
    base = phones(size)
    rows = []
    healths: list[float] = []
    with served(base) as server:
        for backup_id, label, bound in ((SMALL_ID, "small manifest", 1.05), (BIG_ID, "manifest", 0.65)):
            folder = base / backup_id
            warm(folder)
            anchors = [anchor_unlock(folder) for _ in range(runs)]
            ours, health = asyncio.run(timed_unlocks(server, backup_id, runs))
            healths += health
            rows_of = f" of {size.manifest_rows:,} rows" if backup_id == BIG_ID else ""
            work = f"unlock, {size.dpic:,} iterations, {label}{rows_of}"
            ours_s, anchor_s = median(ours), median(anchors)
            rows.append(
                Row(
                    work,
                    seconds(ours_s),
                    f"{seconds(anchor_s)} (EncryptedBackup.test_decryption)",
                    ratio(ours_s, anchor_s),
                    f"≤ {bound}× anchor",
                    ours_s <= bound * anchor_s,
                )
            )
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
                "PBKDF2 alone (the floor of any unlock), pycryptodome", seconds(pbkdf2_alone(base / SMALL_ID))
            )
        )
    publish("Unlock", rows, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
