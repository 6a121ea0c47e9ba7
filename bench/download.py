"""Downloads over HTTP with curl (the whole big file to /dev/null, its last MiB by Range) and a file read
into a client's memory, with the server's resident memory sampled meanwhile; beside each peer's extraction
of the same file to a RAM disk (and then its last MiB: none has ranges) and its reading of a file into memory,
with each peer's peak memory, in interleaved rounds; and beside mvt's decryption of the whole backup (it has
no extraction of one file)."""

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from common.data import BIG_FILE, CONTENT_ID, MEMORY_FILE, PASSPHRASE, phones, scale
from common.http import Connection, unlock
from common.peers import IPHONE_BACKUP_DECRYPT, MVT, Peer, able, run
from common.report import Figure, Row, mebibytes, milliseconds, parser, publish, rate, ratio, seconds
from common.sampling import peak_of
from common.server import TOKEN, Server, served
from common.stats import interleaved, median

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


def _ram() -> Path:
    return _RAM_DISK if _RAM_DISK.is_dir() else Path(tempfile.gettempdir())


def peer_extract(peer: Peer, folder: Path, expected: int) -> dict[str, float]:
    output = _ram() / f"ios-backup-bench-extract-{os.getpid()}"
    try:
        result = run(peer, "extract_file", folder, PASSPHRASE, *BIG_FILE, str(output))
    finally:
        output.unlink(missing_ok=True)
    if result["size"] != expected:
        raise RuntimeError(f"{peer.name} extracted {result['size']:.0f} bytes of {expected}")
    return result


def peer_as_bytes(peer: Peer, folder: Path, expected: int) -> dict[str, float]:
    result = run(peer, "as_bytes", folder, PASSPHRASE, *MEMORY_FILE)
    if result["size"] != expected:
        raise RuntimeError(f"{peer.name} read {result['size']:.0f} bytes of {expected}")
    return result


def mvt_whole(folder: Path, expected: int) -> dict[str, float]:
    """mvt's decryption of the whole backup (the big file and the in-memory one): what it has instead of
    extracting one file. Its rate is over the payloads' bytes."""
    output = Path(tempfile.mkdtemp(prefix="ios-backup-bench-mvt-", dir=_ram()))
    try:
        result = run(MVT, "decrypted_copy", folder, PASSPHRASE, str(output / "copy"))
        payloads = [path for path in (output / "copy").glob("??/*") if path.is_file()]
        written = sum(path.stat().st_size for path in payloads)
    finally:
        shutil.rmtree(output, ignore_errors=True)
    if written != expected:
        raise RuntimeError(f"mvt wrote {written} bytes of payloads, not {expected}")
    result["rate"] = written / result["seconds"]
    return result


async def into_memory(server: Server, session: str, path: str) -> int:
    async with Connection(server, session) as connection:
        response = await connection.get(path)
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return len(response.body)


def vs(peer: Peer) -> str:
    """The rows beside iphone_backup_decrypt keep their names (and their history in docs/PERFORMANCE.md)."""
    return "" if peer is IPHONE_BACKUP_DECRYPT else f": vs {peer.name}"


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    runs = 1 if args.smoke else 5
    base = phones(size)
    folder = base / CONTENT_ID
    big = f"/backups/{CONTENT_ID}/file/{file_id(*BIG_FILE)}"
    small = f"/backups/{CONTENT_ID}/file/{file_id(*MEMORY_FILE)}"
    peers = able("extract_file")
    with served(base) as server:
        session, _ = asyncio.run(unlock(server, CONTENT_ID, PASSPHRASE))
        fetch(server, session, big, "bytes=0-0")  # opened once: what follows is steady state

        def ours() -> dict[str, float]:
            with peak_of(server.rss) as peak:
                whole = fetch(server, session, big)
            if whole["status"] != 200 or whole["size"] != size.big_file:
                raise RuntimeError(f"the big file came back as {whole}")
            return {**whole, "rss_growth": peak.growth}

        measures = {peer.name: partial(peer_extract, peer, folder, size.big_file) for peer in peers}
        mvt = partial(mvt_whole, folder, size.big_file + size.memory_file)
        results = interleaved(runs, {"ours": ours, **measures, MVT.name: mvt})
        tails = [fetch(server, session, big, f"bytes=-{_MIB}") for _ in range(5 if args.smoke else 30)]
        if any(tail["status"] != 206 or tail["size"] != _MIB for tail in tails):
            raise RuntimeError(f"the last MiB came back as {tails[0]}")
        with peak_of(server.rss) as memory_peak:
            received = asyncio.run(into_memory(server, session, small))
        if received != size.memory_file:
            raise RuntimeError(f"{received} bytes of the in-memory file instead of {size.memory_file}")
    as_bytes = {peer.name: peer_as_bytes(peer, folder, size.memory_file) for peer in able("as_bytes")}

    wholes = results.pop("ours")
    mvt_runs = results.pop(MVT.name)
    speed = median([size.big_file / whole["seconds"] for whole in wholes])
    speeds = {
        name: median([size.big_file / run["seconds"] for run in runs_]) for name, runs_ in results.items()
    }
    mvt_speed = median([run["rate"] for run in mvt_runs])
    growth = max(whole["rss_growth"] for whole in wholes)
    growths = {name: max(run["rss_growth"] for run in runs_) for name, runs_ in results.items()}
    mvt_growth = max(run["rss_growth"] for run in mvt_runs)
    first_byte = median([whole["first_byte"] for whole in wholes])
    tail = median([run["seconds"] for run in tails])
    peer_tails = {
        name: median([run["seconds_with_tail"] for run in runs_]) for name, runs_ in results.items()
    }
    label = f"{size.big_file / (1 << 30):g} GiB" if size.big_file >= 1 << 30 else mebibytes(size.big_file)
    memory_label = mebibytes(size.memory_file)
    mvt_label = f"{MVT.label('decrypted_copy')}, the whole backup ({label} and {memory_label})"
    rows = []
    for peer in peers:
        rows.append(
            Row(
                f"{label} file, curl -o /dev/null{vs(peer)}",
                rate(speed),
                f"{rate(speeds[peer.name])} ({peer.label('extract_file')} to a RAM disk)",
                ratio(speed, speeds[peer.name]),
                "≥ 1,500 MB/s",
                speed >= 1.5e9,
            )
        )
    rows.append(
        Row(
            f"{label} file, curl -o /dev/null: vs mvt",
            rate(speed),
            f"{rate(mvt_speed)} ({mvt_label}, to a RAM disk)",
            ratio(speed, mvt_speed),
        )
    )
    rows.append(
        Row(f"{label} file: first byte", milliseconds(first_byte), target="≤ 20 ms", met=first_byte <= 0.020)
    )
    rows.append(
        Row(
            f"{label} file: server RSS growth while it streams",
            mebibytes(growth),
            target="< 32 MiB",
            met=growth < 32 * _MIB,
        )
    )
    rows += [
        Row(
            f"{label} file: memory while it streams (server RSS growth) vs {peer.name}'s peak extracting it",
            mebibytes(growth),
            f"{mebibytes(growths[peer.name])} ({peer.label('extract_file')})",
            ratio(growth, growths[peer.name]),
        )
        for peer in peers
    ]
    rows.append(
        Row(
            f"{label} file: memory while it streams vs mvt's peak growth decrypting the backup",
            mebibytes(growth),
            f"{mebibytes(mvt_growth)} ({mvt_label})",
            ratio(growth, mvt_growth),
        )
    )
    for peer in peers:
        rows.append(
            Row(
                f"last 1 MiB of the {label} file (Range){vs(peer)}",
                milliseconds(tail),
                f"{seconds(peer_tails[peer.name])} ({peer.label('extract_file')}, then the tail)",
                ratio(tail, peer_tails[peer.name]),
                "≤ 10 ms",
                tail <= 0.010,
            )
        )
    rows += [
        Row(
            f"{memory_label} file read into the client's memory: growth of RSS{vs(peer)}",
            f"{mebibytes(memory_peak.growth)} (server)",
            f"{mebibytes(as_bytes[peer.name]['rss_growth'])} ({peer.label('as_bytes')}, peak)",
            ratio(memory_peak.growth, as_bytes[peer.name]["rss_growth"]),
        )
        for peer in able("as_bytes")
    ]
    figures = [
        Figure(
            f"{label} file: stream (ours) or extraction (peers), MB/s",
            "MB/s",
            True,
            {
                "ours": speed / 1e6,
                **{name: value / 1e6 for name, value in speeds.items()},
                "mvt": mvt_speed / 1e6,
            },
        ),
        Figure(
            f"{label} file: memory growth while it streams or is extracted, MiB",
            "MiB",
            False,
            {
                "ours": growth / _MIB,
                **{name: value / _MIB for name, value in growths.items()},
                "mvt": mvt_growth / _MIB,
            },
        ),
        Figure(
            f"last 1 MiB of the {label} file, ms",
            "ms",
            False,
            {"ours": tail * 1000, **{name: value * 1000 for name, value in peer_tails.items()}},
        ),
        Figure(
            f"{memory_label} file read into memory: memory growth, MiB",
            "MiB",
            False,
            {
                "ours": memory_peak.growth / _MIB,
                **{name: result["rss_growth"] / _MIB for name, result in as_bytes.items()},
            },
        ),
    ]
    publish("Downloads", rows, args.smoke, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
