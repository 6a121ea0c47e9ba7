"""Every benchmark, one after the other, then all their rows in one table and a chart of ours against each
peer: `just bench` (`--smoke` for tiny data). Each program generates its data once (cached in bench/.data),
starts its own server, and runs the peers on the same data in the same run, interleaved with ours.
The chart goes to docs/performance.png on a full run, to bench/.data/performance-smoke.png on a smoke run
(its figures mean nothing), or where --chart says."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.chart import draw
from common.data import DATA_ROOT
from common.report import Figure, Row, machine, parser, table

PROGRAMS = (
    "unlock.py",
    "download.py",
    "archive.py",
    "manifest_pages.py",
    "whole_manifest.py",
    "refresh.py",
    "memory.py",
    "views.py",
    "extract.py",
    "load.py",  # 50 clients for 60 s (3 s with --smoke): the mixed load's figures
)
HERE = Path(__file__).resolve().parent
DOCS_CHART = HERE.parent / "docs" / "performance.png"


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> int:
    arguments = parser(__doc__)
    arguments.add_argument("--only", nargs="*", default=PROGRAMS, help="run only these programs")
    arguments.add_argument("--markdown", type=Path, help="also write the combined table to this file")
    arguments.add_argument("--chart", type=Path, help="write the chart (PNG) here instead")
    args = arguments.parse_args()
    chart = args.chart or (DATA_ROOT / "performance-smoke.png" if args.smoke else DOCS_CHART)
    failures = []
    load_before = load()
    with tempfile.TemporaryDirectory() as scratch:
        rows_file = Path(scratch) / "rows.jsonl"
        environment = {**os.environ, "BENCH_ROWS": str(rows_file)}
        started = time.monotonic()
        for program in args.only:
            command = [sys.executable, str(HERE / program), *(["--smoke"] if args.smoke else [])]
            print(f"\n$ {' '.join(command[1:])}", flush=True)
            if subprocess.run(command, env=environment, check=False).returncode != 0:
                failures.append(program)
        lines = (
            [json.loads(line) for line in rows_file.read_text().splitlines()] if rows_file.exists() else []
        )
    groups: dict[str, list[Row]] = {}
    figures = [Figure(**line["figure"]) for line in lines if "figure" in line]
    for row in (line for line in lines if "figure" not in line):
        groups.setdefault(row.pop("group"), []).append(Row(**row))
    combined = "\n\n".join(f"### {group}\n\n{table(members)}" for group, members in groups.items())
    run = (
        f"Machine: {machine()}. Run: `just bench{' --smoke' if args.smoke else ''}`, "
        f"{time.monotonic() - started:.0f} s, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"load average (1, 5, 15 min) {load_before} at the start, {load()} at the end."
    )
    summary = f"# All benchmarks{' (smoke)' if args.smoke else ''}\n\n{run}\n\n{combined}\n"
    print("\n" + summary)
    if args.markdown is not None:
        args.markdown.write_text(summary)
    if figures:
        draw(
            figures, chart, run + " Medians of interleaved rounds; command per measure: docs/PERFORMANCE.md."
        )
        print(f"chart: {chart}")
    else:
        failures.append("the chart (no program reported a figure)")
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
