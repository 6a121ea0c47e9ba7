"""The resident memory of a process, sampled in a thread while something runs."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Peak:
    def __init__(self) -> None:
        self.baseline = 0
        self.highest = 0

    @property
    def growth(self) -> int:
        return max(0, self.highest - self.baseline)


@contextmanager
def peak_of(measure: Callable[[], int], interval: float = 0.002) -> Iterator[Peak]:
    """The highest value of `measure()` while the block runs, sampled every `interval` seconds."""
    peak = Peak()
    peak.baseline = peak.highest = measure()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.highest = max(peak.highest, measure())
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()
        peak.highest = max(peak.highest, measure())
