"""Rows of figures: ours, the anchor's, their ratio and the target, printed as a Markdown table.

A program prints its own table; with BENCH_ROWS set (run_all.py does) it also appends its rows there as
JSON lines, so one run can print them all together, and its figures (ours and each peer's value of one
measure, the same run's) for run_all.py's chart.
"""

import argparse
import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

NOT_AVAILABLE = "—"


@dataclass(frozen=True)
class Row:
    work: str
    ours: str
    anchor: str = NOT_AVAILABLE
    ratio: str = NOT_AVAILABLE
    target: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: ""}[self.met]


@dataclass(frozen=True)
class Figure:
    """One measure for the chart: ours and each peer's value (medians of the same interleaved rounds)."""

    work: str
    unit: str
    higher_is_better: bool
    values: dict[str, float]
    """The tool's name ("ours" first) and its value in `unit`."""
    program: str = ""
    """The benchmark program that measured it (publish() fills it in)."""


def ratio(ours: float, anchor: float | None) -> str:
    """Two decimals, or two significant digits below 0.1 (0.0036, not 0.00)."""
    if not anchor:
        return NOT_AVAILABLE
    value = ours / anchor
    return f"{value:.2f}×" if value >= 0.1 or value == 0 else f"{value:.2g}×"


def seconds(value: float) -> str:
    return (
        f"{value:.2f} s"
        if value >= 1
        else f"{value * 1000:.1f} ms"
        if value >= 0.001
        else f"{value * 1e6:.0f} µs"
    )


def milliseconds(value: float) -> str:
    return f"{value * 1000:.2f} ms"


def rate(bytes_per_second: float) -> str:
    return f"{bytes_per_second / 1e6:,.0f} MB/s"


def mebibytes(count: float) -> str:
    return f"{count / (1 << 20):,.1f} MiB"


def parser(description: str | None) -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument("--smoke", action="store_true", help="tiny data, a few repetitions: seconds")
    return arguments


def table(rows: list[Row]) -> str:
    header = ["work", "ours", "anchor", "ours ÷ anchor", "target", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.work, row.ours, row.anchor, row.ratio, row.target, row.verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def publish(title: str, rows: list[Row], smoke: bool = False, figures: Sequence[Figure] = ()) -> None:
    """Prints the rows; with `smoke` (tiny data) the verdicts are left out: they would mean nothing."""
    if smoke:
        title = f"{title} (smoke run: tiny data, no verdicts)"
        rows = [replace(row, met=None) for row in rows]
    print(f"\n## {title}\n\n{table(rows)}\n", flush=True)
    destination = os.environ.get("BENCH_ROWS")
    if destination:
        with open(destination, "a") as out:
            for row in rows:
                out.write(json.dumps({"group": title, **asdict(row)}) + "\n")
            for figure in figures:
                measured = replace(figure, program=os.path.basename(sys.argv[0]))
                out.write(json.dumps({"figure": asdict(measured)}) + "\n")


def machine() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpu = models[0] if models else platform.processor()
    return f"{os.cpu_count()} CPUs ({cpu}), {platform.platform()}, Python {platform.python_version()}"
