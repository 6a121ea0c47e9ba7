"""Each benchmark program runs on tiny data (`--smoke`) and prints its table, so none can rot unnoticed.
The figures themselves are not checked: benchmarks are not timed assertions."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
PROGRAMS = {
    "unlock.py": ["## Unlock", "| unlock, 1,000 iterations, small manifest |", "| /healthz every 5 ms"],
    "download.py": ["## Downloads", "file, curl -o /dev/null |", "| last 1 MiB of the"],
    "archive.py": ["## Archives", "| archive of a folder of 8 files", "server RSS growth while it streams |"],
    "manifest_pages.py": ["## Manifest pages", "| page of 100, domain filter", "| distinct domains: p50 |"],
    "refresh.py": ["## Refresh", "| refresh, nothing changed: 2 backups of"],
    "memory.py": ["## Memory", "| memory of the unlocked backup"],
    "views.py": ["## Typed views", "| messages: later pages of 100", "| notes: first page |"],
    "extract.py": ["## Extract", "| extract 100 files, 20.0 MiB (encrypted)", "mvt-ios decrypt-backup"],
}


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_the_benchmark_program_runs_on_tiny_data_and_prints_its_rows(program: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / program), "--smoke"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for expected in PROGRAMS[program]:
        assert expected in result.stdout, result.stdout
