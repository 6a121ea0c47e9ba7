import io


def read_fully(file: io.FileIO, view: memoryview) -> int:
    """Fills `view` from the file's position; fewer bytes only at the end of the file."""
    total = 0
    while total < len(view):
        count = file.readinto(view[total:])
        if not count:
            break
        total += count
    return total
