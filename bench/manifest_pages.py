"""Pages of the 300,000-row manifest over HTTP (one client, then 32 at once), /domains, and the decoding of
a page's MBFile records, beside the same queries in raw SQL on iphone_backup_decrypt's decrypted copy."""

import asyncio
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from common.data import BIG_ID, PASSPHRASE, Scale, phones, scale
from common.http import Connection, all_lines, all_rows, unlock
from common.manifests import BIG_DOMAIN, SELECTIVE_LIKE, UNSELECTIVE_LIKE
from common.report import Row, milliseconds, parser, publish, ratio, seconds
from common.server import Server, served
from common.stats import median, percentile
from iphone_backup_decrypt import EncryptedBackup
from iphone_backup_decrypt.utils import FilePlist

from ios_backup_api.adapters.vault.mbfile import decode_file_record

_COLUMNS = "fileID, domain, relativePath, flags, file"
_ORDER = "ORDER BY domain, relativePath"


@dataclass(frozen=True)
class Query:
    label: str
    domain: str | None = None
    path_like: str | None = None
    offset: int = 0
    step: int = 100
    """Successive requests page on by this much (wrapping within the matches)."""

    def params(self, number: int, total: int) -> dict[str, str]:
        offset = self.offset + (number * self.step) % max(1, min(total - self.offset, 20_000))
        params = {"limit": "100", "offset": str(offset)}
        if self.domain is not None:
            params["domain"] = self.domain
        if self.path_like is not None:
            params["path_like"] = self.path_like
        return params

    def path(self, number: int, total: int) -> str:
        return "/backups/" + BIG_ID + "/files?" + urllib.parse.urlencode(self.params(number, total))

    def sql(self, number: int, total: int) -> tuple[str, str, list[object]]:
        params = self.params(number, total)
        conditions, values = ["1"], list[object]()
        if self.domain is not None:
            conditions.append("domain = ?")
            values.append(self.domain)
        if self.path_like is not None:
            conditions.append("relativePath LIKE ?")
            values.append(self.path_like)
        where = " AND ".join(conditions)
        page = f"SELECT {_COLUMNS} FROM Files WHERE {where} {_ORDER} LIMIT 100 OFFSET {params['offset']}"  # noqa: S608
        return f"SELECT count(*) FROM Files WHERE {where}", page, values  # noqa: S608


def queries(size: Scale) -> list[Query]:
    far = min(50_000, size.manifest_rows // 2)
    return [
        Query("domain filter", domain=BIG_DOMAIN),
        Query("selective path_like", path_like=SELECTIVE_LIKE),
        Query("unselective path_like", path_like=UNSELECTIVE_LIKE),
        Query(f"OFFSET {far:,}", offset=far, step=1),
    ]


async def sequential(server: Server, session: str, query: Query, count: int) -> tuple[float, list[float]]:
    """(the first request's seconds, every later request's seconds)."""
    async with Connection(server, session) as connection:
        first = await connection.get(query.path(0, 0))
        total = first.json()["total"]
        timings = []
        for number in range(1, count + 1):
            response = await connection.get(query.path(number, total))
            if response.status != 200:
                raise RuntimeError(f"{query.label}: {response.status} {response.body[:200]!r}")
            timings.append(response.seconds)
    return first.seconds, timings


async def concurrent(
    server: Server, session: str, mix: list[Query], clients: int, duration: float
) -> tuple[int, int]:
    """(pages answered 200, other answers) by `clients` keep-alive connections in `duration` seconds."""
    totals = {}
    async with Connection(server, session) as connection:
        for query in mix:
            totals[query.label] = (await connection.get(query.path(0, 0))).json()["total"]
    done = errors = 0
    deadline = time.perf_counter() + duration

    async def client(number: int) -> None:
        nonlocal done, errors
        async with Connection(server, session) as connection:
            request = number
            while time.perf_counter() < deadline:
                query = mix[request % len(mix)]
                response = await connection.get(query.path(request, totals[query.label]))
                if response.status == 200:
                    done += 1
                else:
                    errors += 1
                request += clients

    await asyncio.gather(*(client(number) for number in range(clients)))
    return done, errors


def anchor_query(backup: EncryptedBackup, query: Query, total: int, count: int) -> list[float]:
    timings = []
    with backup.manifest_db_cursor() as cursor:
        for number in range(count):
            count_sql, page_sql, values = query.sql(number, total)
            started = time.perf_counter()
            cursor.execute(count_sql, values)
            cursor.fetchone()
            cursor.execute(page_sql, values)
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return timings


def anchor_domains(backup: EncryptedBackup, count: int) -> list[float]:
    timings = []
    with backup.manifest_db_cursor() as cursor:
        for _ in range(count):
            started = time.perf_counter()
            cursor.execute("SELECT DISTINCT domain FROM Files ORDER BY domain")
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return timings


def anchor_all_rows(backup: EncryptedBackup) -> tuple[float, float]:
    """(seconds to read every row raw from SQLite in the listing's order, seconds to also decode every
    record with plistlib as iphone_backup_decrypt does, FilePlist)."""
    with backup.manifest_db_cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"SELECT {_COLUMNS} FROM Files {_ORDER}")  # noqa: S608 - constant SQL
        rows = cursor.fetchall()
        raw = time.perf_counter() - started
        for row in rows:
            FilePlist(row[4])
        decoded = time.perf_counter() - started
    return raw, decoded


def per_call(decode: Callable[[bytes], object], blobs: list[bytes], repeat: int) -> float:
    """The median time to decode all of `blobs`."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        for blob in blobs:
            decode(blob)
        timings.append(time.perf_counter() - started)
    return median(timings)


async def measure_ours(server: Server, size: Scale, count: int, duration: float) -> dict[str, object]:
    started = time.perf_counter()
    session, unlocked = await unlock(server, BIG_ID, PASSPHRASE)
    async with Connection(server, session) as connection:
        first_page = await connection.get(f"/backups/{BIG_ID}/files?limit=100")
    results: dict[str, object] = {
        "first page after unlock": time.perf_counter() - started - unlocked,
    }
    for query in queries(size):
        results[query.label] = await sequential(server, session, query, count)
    async with Connection(server, session) as connection:
        domains = [(await connection.get(f"/backups/{BIG_ID}/domains")).seconds for _ in range(count)]
    results["domains"] = domains
    results["concurrent"] = await concurrent(server, session, queries(size), 32, duration)
    results["all rows"] = await all_rows(server, session, BIG_ID)
    results["all lines"] = await all_lines(server, session, BIG_ID)
    blob_page = first_page.json()["items"]
    results["page ids"] = [item["file_id"] for item in blob_page]
    return results


def main() -> int:
    args = parser(__doc__).parse_args()
    size = scale(args.smoke)
    count, duration = (20, 1.0) if args.smoke else (300, 10.0)
    base = phones(size)
    with served(base) as server:
        ours = asyncio.run(measure_ours(server, size, count, duration))
    backup = EncryptedBackup(backup_directory=str(base / BIG_ID), passphrase=PASSPHRASE)
    backup.test_decryption()
    rows = []
    for query in queries(size):
        cold, warm = ours[query.label]  # type: ignore[misc]
        with backup.manifest_db_cursor() as cursor:
            count_sql, _, values = query.sql(0, 0)
            cursor.execute(count_sql, values)
            total = cursor.fetchone()[0]
        anchor = anchor_query(backup, query, total, max(5, count // 15))
        work = f"page of 100, {query.label} ({total:,} matches), with total"
        p50, p99, anchor_p50 = percentile(warm, 0.5), percentile(warm, 0.99), median(anchor)
        rows.append(
            Row(
                f"{work}: p50 / p99",
                f"{milliseconds(p50)} / {milliseconds(p99)}",
                f"{milliseconds(anchor_p50)} (raw SQL, p50)",
                ratio(p50, anchor_p50),
                "p50 ≤ 5 ms, p99 ≤ 20 ms",
                p50 <= 0.005 and p99 <= 0.020,
            )
        )
        found = (
            " (found by the first page after the unlock)" if query.domain is query.path_like is None else ""
        )
        rows.append(Row(f"{work}: first request of this filter{found}", milliseconds(cold)))
    domains = ours["domains"]
    anchor_d = median(anchor_domains(backup, max(5, count // 15)))
    rows.append(
        Row(
            "distinct domains: p50",
            milliseconds(median(domains)),  # type: ignore[arg-type]
            f"{milliseconds(anchor_d)} (raw SQL)",
            ratio(median(domains), anchor_d),  # type: ignore[arg-type]
            "≤ 2 ms",
            median(domains) <= 0.002,  # type: ignore[arg-type]
        )
    )
    done, errors = ours["concurrent"]  # type: ignore[misc]
    rows.append(
        Row(
            "pages/s, 32 concurrent clients, the four queries above",
            f"{done / duration:,.0f} pages/s, {errors} errors",
            target="≥ 400 pages/s, no errors",
            met=done / duration >= 400 and errors == 0,
        )
    )
    (listed_in, listed), (raw, decoded) = ours["all rows"], anchor_all_rows(backup)  # type: ignore[misc]
    (streamed_in, streamed) = ours["all lines"]  # type: ignore[misc]
    anchors = f"{seconds(raw)} (raw SQLite), {seconds(decoded)} (plistlib, FilePlist, every record)"
    rows.append(
        Row(
            f"all rows listed ({streamed:,}, one /files.ndjson stream, each line parsed by json)",
            seconds(streamed_in),
            anchors,
            ratio(streamed_in, raw),
            "≤ 1.5 s for 200,000 rows",
            streamed_in * 200_000 / max(1, streamed) <= 1.5,
        )
    )
    rows.append(
        Row(
            f"all rows listed ({listed:,}, pages of 1,000 over HTTP)",
            seconds(listed_in),
            anchors,
            ratio(listed_in, raw),
        )
    )
    rows.append(Row("first page after the unlock returned", seconds(ours["first page after unlock"])))  # type: ignore[arg-type]
    with backup.manifest_db_cursor() as cursor:
        ids = ours["page ids"]
        cursor.execute(f"SELECT file FROM Files WHERE fileID IN ({','.join('?' * len(ids))})", ids)  # type: ignore[arg-type]  # noqa: S608
        blobs = [blob for (blob,) in cursor.fetchall()]
    mine, theirs = per_call(decode_file_record, blobs, 50), per_call(FilePlist, blobs, 50)
    rows.append(
        Row(
            f"decode the {len(blobs)} MBFile records of a page",
            milliseconds(mine),
            f"{milliseconds(theirs)} (plistlib, FilePlist)",
            ratio(mine, theirs),
        )
    )
    del backup
    publish(f"Manifest pages ({size.manifest_rows:,} rows)", rows, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
