"""`bench/load.py --smoke` runs, so the load program can't rot: a few seconds of five clients, no 5xx."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_the_load_program_runs_clean_in_smoke_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "load.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| 5xx answers | 0 |" in result.stdout
    assert "listing latency p99" in result.stdout
