"""Every benchmark, one after the other, then all their rows in one table: `just bench` (`--smoke` for tiny
data). Each program generates its data once (cached in bench/.data), starts its own server, and runs the
anchor on the same data in the same run."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.report import Row, machine, parser, table

PROGRAMS = (
    "unlock.py",
    "download.py",
    "archive.py",
    "manifest_pages.py",
    "refresh.py",
    "memory.py",
    "views.py",
    "extract.py",
    "load.py",  # 50 clients for 60 s (3 s with --smoke): the mixed load's figures
)
HERE = Path(__file__).resolve().parent


def main() -> int:
    arguments = parser(__doc__)
    arguments.add_argument("--only", nargs="*", default=PROGRAMS, help="run only these programs")
    arguments.add_argument("--markdown", type=Path, help="also write the combined table to this file")
    args = arguments.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        rows_file = Path(scratch) / "rows.jsonl"
        environment = {**os.environ, "BENCH_ROWS": str(rows_file)}
        started = time.monotonic()
        for program in args.only:
            command = [sys.executable, str(HERE / program), *(["--smoke"] if args.smoke else [])]
            print(f"\n$ {' '.join(command[1:])}", flush=True)
            if subprocess.run(command, env=environment, check=False).returncode != 0:
                failures.append(program)
        rows = [json.loads(line) for line in rows_file.read_text().splitlines()] if rows_file.exists() else []
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.pop("group"), []).append(Row(**row))
    combined = "\n\n".join(f"### {group}\n\n{table(members)}" for group, members in groups.items())
    summary = (
        f"# All benchmarks{' (smoke)' if args.smoke else ''}\n\n"
        f"Machine: {machine()}. Run: `just bench{' --smoke' if args.smoke else ''}`, "
        f"{time.monotonic() - started:.0f} s.\n\n{combined}\n"
    )
    print("\n" + summary)
    if args.markdown is not None:
        args.markdown.write_text(summary)
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
