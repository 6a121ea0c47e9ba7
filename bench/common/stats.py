import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def interleaved(rounds: int, measures: dict[str, Callable[[], T]]) -> dict[str, list[T]]:
    """Each measure once a round, `rounds` times; the order turns by one each round, so that no tool is
    always the first (a cold cache) or always right after the same neighbour (its leftover load)."""
    names = list(measures)
    results: dict[str, list[T]] = {name: [] for name in names}
    for number in range(rounds):
        turn = number % len(names)
        for name in names[turn:] + names[:turn]:
            results[name].append(measures[name]())
    return results
