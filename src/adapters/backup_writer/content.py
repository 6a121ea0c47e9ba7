"""Pseudo-random file content that is streamed, never held whole, and can be regenerated from its seed."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CHUNK_SIZE = 1 << 20


@dataclass(frozen=True, slots=True)
class GeneratedContent:
    """`size` bytes of an AES-256-CTR keystream keyed by `seed`: fast, and the same on every platform."""

    size: int
    seed: int

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"content size must not be negative, got {self.size}")

    def chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        key = hashlib.sha256(f"ios-backup-api synthetic content {self.seed}".encode()).digest()
        keystream = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
        zeros = bytes(chunk_size)
        remaining = self.size
        while remaining > 0:
            length = min(chunk_size, remaining)
            yield keystream.update(zeros[:length] if length < chunk_size else zeros)
            remaining -= length

    def read_all(self) -> bytes:
        return b"".join(self.chunks())
