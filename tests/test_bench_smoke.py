"""Each benchmark program runs on tiny data (`--smoke`) and prints its table, every peer's rows included (a
peer that can't be installed or run fails its program), so none can rot unnoticed; run_all.py draws the chart.
The figures themselves are not checked: benchmarks are not timed assertions."""

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

BENCH = Path(__file__).resolve().parent.parent / "bench"
PROGRAMS = {
    "unlock.py": [
        "## Unlock",
        "| unlock, 1,000 iterations, small manifest |",
        "manifest of 600 rows: vs pyiosbackup | ",
        "manifest of 600 rows: vs iOSbackup | ",
        "manifest of 600 rows: vs mvt | ",
        "| /healthz every 5 ms",
        "pyiosbackup: 0.6 MiB",  # the plaintext Manifest.db it leaves in its temporary folder
    ],
    "download.py": [
        "## Downloads",
        "file, curl -o /dev/null |",
        "file, curl -o /dev/null: vs pyiosbackup |",
        "file, curl -o /dev/null: vs iOSbackup |",
        "file, curl -o /dev/null: vs mvt |",
        "vs pyiosbackup's peak extracting it |",
        "| last 1 MiB of the",
        "(iOSbackup `getRelativePathDecryptedData`, peak)",
    ],
    "archive.py": ["## Archives", "| archive of a folder of 8 files", "server RSS growth while it streams |"],
    "manifest_pages.py": [
        "## Manifest pages",
        "| page of 100, domain filter",
        "| distinct domains: p50 |",
        "one /files.ndjson stream, each line parsed by json) |",
    ],
    "whole_manifest.py": [
        "## Whole manifest",
        "| all 600 rows listed with their metadata: vs iphone_backup_decrypt |",
        "| all 600 rows listed with their metadata: vs pyiosbackup |",
        "| all 600 rows listed with their metadata: vs iOSbackup |",
    ],
    "refresh.py": ["## Refresh", "| refresh, nothing changed: 2 backups of"],
    "memory.py": ["## Memory", "| memory of the unlocked backup"],
    "views.py": ["## Typed views", "| messages: later pages of 100", "| notes: first page |"],
    "extract.py": [
        "## Extract",
        "| extract 100 files, 20.0 MiB (encrypted)",
        "RAM disk: vs pyiosbackup unback |",
        "RAM disk: vs iOSbackup getFolderDecryptedCopy |",
        "vs `mvt-ios decrypt-backup`",
        "vs pyiosbackup extract_all |",
    ],
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


def test_run_all_draws_the_chart_of_ours_beside_each_peer(tmp_path: Path) -> None:
    chart, table = tmp_path / "chart.png", tmp_path / "table.md"
    command = [sys.executable, str(BENCH / "run_all.py"), "--smoke", "--only", "unlock.py"]
    result = subprocess.run(
        [*command, "--chart", str(chart), "--markdown", str(table)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "load average" in table.read_text()
    with Image.open(chart) as image:
        assert image.format == "PNG"
        colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 20) or []}
    assert (0x1F, 0x77, 0xB4) in colours  # ours
    assert (0x9A, 0x9A, 0x9A) in colours  # the peers
