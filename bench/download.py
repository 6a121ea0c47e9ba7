"""Downloads over HTTP with curl (the whole big file to /dev/null, its last MiB by Range) and a file read
into a client's memory, with the server's resident memory sampled meanwhile; beside iphone_backup_decrypt's
extract_file (to a RAM disk) and extract_file_as_bytes."""

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.data import BIG_FILE, CONTENT_ID, MEMORY_FILE, PASSPHRASE, phones, scale
from common.http import Connection, unlock
from common.report import Row, mebibytes, milliseconds, parser, publish, rate, ratio
from common.sampling import peak_of
from common.server import TOKEN, Server, served
from common.stats import median

_ANCHOR = Path(__file__).resolve().parent / "common" / "anchor.py"
_RAM_DISK = Path("/dev/shm")
_MIB = 1 << 20


def file_id(domain: str, path: str) -> str:
    return hashlib.sha1(f"{domain}-{path}".encode()).hexdigest()  # noqa: S324 - the format's file ids


def fetch(server: Server, session: str, path: str, byte_range: str | None = None) -> dict[str, float]:
    """One GET to /dev/null: its status, the seconds from request to first byte and to the end; by curl,
    or where there is none (a bare CI image), by this program."""
    if shutil.which("curl") is None:
        return asyncio.run(_discarding(server, session, path, byte_range))
    return curl(server, session, path, byte_range)


async def _discarding(server: Server, session: str, path: str, byte_range: str | None) -> dict[str, float]:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    headers = f"Host: {server.host}\r\nX-API-Token: {TOKEN}\r\nX-Backup-Session: {session}\r\n"
    if byte_range is not None:
        headers += f"Range: {byte_range}\r\n"
    started = time.perf_counter()
    writer.write(f"GET {path} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    first = time.perf_counter() - started
    size = 0
    while chunk := await reader.read(1 << 20):
        size += len(chunk)
    seconds = time.perf_counter() - started
    writer.close()
    return {"status": int(head.split()[1]), "first_byte": first, "seconds": seconds, "size": float(size)}


def curl(server: Server, session: str, path: str, byte_range: str | None = None) -> dict[str, float]:
    """One GET by curl to /dev/null: its status, the seconds from request to first byte and to the end."""
    command = [
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-H",
        f"X-API-Token: {TOKEN}",
        "-H",
        f"X-Backup-Session: {session}",
    ]
    if byte_range is not None:
        command += ["-H", f"Range: {byte_range}"]
    command += ["-w", "%{http_code} %{time_pretransfer} %{time_starttransfer} %{time_total} %{size_download}"]
    output = subprocess.run([*command, server.url + path], capture_output=True, text=True, check=True).stdout
    status, pretransfer, first, total, size = output.split()
    return {
        "status": int(status),
        "first_byte": float(first) - float(pretransfer),
        "seconds": float(total) - float(pretransfer),
        "size": float(size),
    }


def anchor(folder: Path, action: str, domain: str, path: str) -> dict[str, float]:
    ram = _RAM_DISK if _RAM_DISK.is_dir() else Path(tempfile.gettempdir())
    output = ram / f"ios-backup-bench-extract-{os.getpid()}"
    command = [sys.executable, str(_ANCHOR), str(folder), PASSPHRASE, action, domain, path, str(output)]
    result: dict[str, float] = json.loads(
        subprocess.run(command, capture_output=True, text=True, check=True).stdout
    )
    return result


async def into_memory(server: Server, session: str, path: str) -> int:
    async with Connection(server, session) as connection:
        response = await connection.get(path)
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return len(response.body)


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    runs = 1 if args.smoke else 5
    base = phones(size)
    folder = base / CONTENT_ID
    big = f"/backups/{CONTENT_ID}/file/{file_id(*BIG_FILE)}"
    small = f"/backups/{CONTENT_ID}/file/{file_id(*MEMORY_FILE)}"
    with served(base) as server:
        session, _ = asyncio.run(unlock(server, CONTENT_ID, PASSPHRASE))
        fetch(server, session, big, "bytes=0-0")  # opened once: what follows is steady state
        wholes, growths = [], []
        for _ in range(runs):
            with peak_of(server.rss) as peak:
                whole = fetch(server, session, big)
            if whole["status"] != 200 or whole["size"] != size.big_file:
                raise RuntimeError(f"the big file came back as {whole}")
            wholes.append(whole)
            growths.append(peak.growth)
        tails = [fetch(server, session, big, f"bytes=-{_MIB}") for _ in range(5 if args.smoke else 30)]
        if any(tail["status"] != 206 or tail["size"] != _MIB for tail in tails):
            raise RuntimeError(f"the last MiB came back as {tails[0]}")
        with peak_of(server.rss) as memory_peak:
            received = asyncio.run(into_memory(server, session, small))
        if received != size.memory_file:
            raise RuntimeError(f"{received} bytes of the in-memory file instead of {size.memory_file}")
    extracted = [anchor(folder, "extract_file", *BIG_FILE) for _ in range(runs)]
    as_bytes = anchor(folder, "extract_file_as_bytes", *MEMORY_FILE)

    speed = median([size.big_file / whole["seconds"] for whole in wholes])
    anchor_speed = median([size.big_file / run["seconds"] for run in extracted])
    first_byte = median([whole["first_byte"] for whole in wholes])
    tail = median([run["seconds"] for run in tails])
    anchor_tail = median([run["seconds_with_tail"] for run in extracted])
    label = f"{size.big_file / (1 << 30):g} GiB" if size.big_file >= 1 << 30 else mebibytes(size.big_file)
    rows = [
        Row(
            f"{label} file, curl -o /dev/null",
            rate(speed),
            f"{rate(anchor_speed)} (extract_file to a RAM disk)",
            ratio(speed, anchor_speed),
            "≥ 1,500 MB/s",
            speed >= 1.5e9,
        ),
        Row(f"{label} file: first byte", milliseconds(first_byte), target="≤ 20 ms", met=first_byte <= 0.020),
        Row(
            f"{label} file: server RSS growth while it streams",
            mebibytes(max(growths)),
            target="< 32 MiB",
            met=max(growths) < 32 * _MIB,
        ),
        Row(
            f"last 1 MiB of the {label} file (Range)",
            milliseconds(tail),
            f"{milliseconds(anchor_tail)} (extract_file, then the tail)",
            ratio(tail, anchor_tail),
            "≤ 10 ms",
            tail <= 0.010,
        ),
        Row(
            f"{mebibytes(size.memory_file)} file read into the client's memory: growth of RSS",
            f"{mebibytes(memory_peak.growth)} (server)",
            f"{mebibytes(as_bytes['rss_growth'])} (extract_file_as_bytes, peak)",
            ratio(memory_peak.growth, as_bytes["rss_growth"]),
        ),
    ]
    publish("Downloads", rows, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
