import io
import threading

PIECE = 8 << 20
"""What a read that may be stopped reads between two looks at its stop."""


class ReadStopped(Exception):
    """A read was stopped before its end (see `read_fully`)."""


def read_fully(file: io.FileIO, view: memoryview, stop: threading.Event | None = None) -> int:
    """Fills `view` from the file's position; fewer bytes only at the end of the file. With `stop`, reads
    pieces of `PIECE` bytes and raises `ReadStopped` once it is set: a read nobody wants ends within one."""
    total = 0
    piece = len(view) if stop is None else PIECE
    while total < len(view):
        if stop is not None and stop.is_set():
            raise ReadStopped
        count = file.readinto(view[total : total + piece])
        if not count:
            break
        total += count
    return total
