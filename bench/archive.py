"""The archive of a folder of large files (GET /archive, curl -o /dev/null) beside the download of one file
of the same size, in the same run; the server's memory growth while a 5 GiB archive streams; and the time
an archive of many small files takes (manifest_pages.py's selective path_like on the big manifest)."""

import asyncio
import sys
from urllib.parse import quote

from common.data import (
    ARCHIVE_FOLDER,
    ARCHIVE_ID,
    BIG_FILE,
    BIG_ID,
    CONTENT_ID,
    PASSPHRASE,
    archive_backup,
    phones,
    scale,
)
from common.http import unlock
from common.manifests import SELECTIVE_LIKE
from common.report import Row, mebibytes, parser, publish, rate, ratio, seconds
from common.sampling import peak_of
from common.server import Server, served
from common.stats import median
from download import fetch, file_id

_MIB = 1 << 20


def _archive(server: Server, session: str, query: str) -> dict[str, float]:
    result = fetch(server, session, f"/backups/{ARCHIVE_ID}/archive?{query}")
    if result["status"] != 200:
        raise RuntimeError(f"the archive answered {result}")
    return result


def main() -> int:
    arguments = parser(__doc__)
    arguments.add_argument(
        "--large-gib", type=int, default=5, help="size of the archive whose memory is measured"
    )
    args = arguments.parse_args()
    size = scale(args.smoke)
    runs = 1 if args.smoke else 3
    single = phones(size)
    archived = archive_backup(size, args.large_gib)
    folder = f"path_like={quote(ARCHIVE_FOLDER[1] + '%')}"
    with served(single) as file_server, served(archived) as archive_server:
        file_session, _ = asyncio.run(unlock(file_server, CONTENT_ID, PASSPHRASE))
        archive_session, _ = asyncio.run(unlock(archive_server, ARCHIVE_ID, PASSPHRASE))
        big = f"/backups/{CONTENT_ID}/file/{file_id(*BIG_FILE)}"
        fetch(file_server, file_session, big, "bytes=0-0")  # opened once: what follows is steady state
        _archive(archive_server, archive_session, folder)  # once: the listing and the payloads are warm
        downloads, archives = [], []
        for _ in range(runs):  # interleaved, so that the machine's load falls on both alike
            downloads.append(fetch(file_server, file_session, big))
            archives.append(_archive(archive_server, archive_session, folder))
        with peak_of(archive_server.rss) as peak:
            whole = _archive(archive_server, archive_session, "")
        many_session, _ = asyncio.run(unlock(file_server, BIG_ID, PASSPHRASE))
        many_path = f"/backups/{BIG_ID}/archive?path_like={quote(SELECTIVE_LIKE)}"
        fetch(file_server, many_session, many_path)  # the filter's first request builds its listing
        many = median([fetch(file_server, many_session, many_path)["seconds"] for _ in range(runs)])
    if any(run["size"] != size.big_file for run in downloads):
        raise RuntimeError(f"the big file came back as {downloads[0]}")
    if any(run["size"] <= size.big_file for run in archives) or whole["size"] < args.large_gib * 0.99 * (
        (1 << 30) if not args.smoke else _MIB
    ):
        raise RuntimeError(f"an archive came back short: {archives[0]}, {whole}")
    download_rate = median([size.big_file / run["seconds"] for run in downloads])
    archive_rate = median([run["size"] / run["seconds"] for run in archives])
    label = f"{size.big_file / (1 << 30):g} GiB" if size.big_file >= 1 << 30 else mebibytes(size.big_file)
    rows = [
        Row(
            f"archive of a folder of 8 files ({label} in all), curl -o /dev/null",
            rate(archive_rate),
            f"{rate(download_rate)} (the {label} file downloaded, same run)",
            ratio(archive_rate, download_rate),
            "≥ 0.6×",
            archive_rate >= 0.6 * download_rate,
        ),
        Row(
            f"archive of {mebibytes(whole['size'])}: server RSS growth while it streams",
            mebibytes(peak.growth),
            target="< 64 MiB",
            met=peak.growth < 64 * _MIB,
        ),
        Row(
            f"archive of the small files of a selective path_like ({SELECTIVE_LIKE}, big manifest)",
            seconds(many),
        ),
    ]
    publish("Archives", rows, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
