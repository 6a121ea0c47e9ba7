"""An entry's kind: from its row's flags (1, 2, 4), else from the file-type bits of its record's mode."""

import stat

from ios_backup_api.domain.manifest import EntryKind

KIND_OF_FLAGS = {1: EntryKind.FILE, 2: EntryKind.DIRECTORY, 4: EntryKind.SYMLINK}
FLAGS_OF_KIND = {kind: flags for flags, kind in KIND_OF_FLAGS.items()}
_TYPE_BITS = 0o170000
_KIND_OF_TYPE = {
    stat.S_IFREG: EntryKind.FILE,
    stat.S_IFDIR: EntryKind.DIRECTORY,
    stat.S_IFLNK: EntryKind.SYMLINK,
}


def kind_of_mode(mode: int | None) -> EntryKind | None:
    """None for a mode that is missing or of another file type (a socket, a FIFO, a device)."""
    # The type bits masked in Python: stat.S_IFMT takes a C mode_t, and raises on a Mode past 32 bits.
    return None if mode is None else _KIND_OF_TYPE.get(mode & _TYPE_BITS)


def kind_of(flags: object, mode: int | None) -> EntryKind | None:
    # A REAL 1.0 is flags 1 to SQLite's `flags = 1` as to this lookup; text is no flags to either.
    if isinstance(flags, float) and flags.is_integer():
        flags = int(flags)
    known = KIND_OF_FLAGS.get(flags) if isinstance(flags, int) else None
    return known if known is not None else kind_of_mode(mode)
