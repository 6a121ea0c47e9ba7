"""Giving freed heap memory back to the system."""

import contextlib
import ctypes


def give_back_free_memory() -> None:
    """glibc keeps what SQLite freed after building an index (tens of MB for a big manifest) in its heap;
    malloc_trim returns it. Elsewhere (musl, macOS) there is no such call, and nothing to do here."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).malloc_trim(0)
