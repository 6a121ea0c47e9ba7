"""Where the writer's salts, keys and UUIDs come from: the system, or a seed for reproducible data."""

import random
import secrets
import uuid
from typing import Protocol


class RandomSource(Protocol):
    def randbytes(self, n: int) -> bytes: ...


class SystemRandomSource:
    def randbytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)


class SeededRandomSource:
    """Not for secrets: the same seed gives the same keys, so benchmark data can be written again."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def randbytes(self, n: int) -> bytes:
        return self._random.randbytes(n)


def random_source(seed: int | None) -> RandomSource:
    return SystemRandomSource() if seed is None else SeededRandomSource(seed)


def random_uuid(source: RandomSource) -> uuid.UUID:
    return uuid.UUID(bytes=source.randbytes(16), version=4)
