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


def kind_name_sql(flags: str, mode: str) -> str:
    """`kind_of` in SQL, of the columns `flags` and `mode`: the kind's name, NULL when neither tells. A REAL
    1.0 is flags 1 to `=` as to `kind_of`, and text or a blob no flags; the type bits of an integer mode only
    (two's complement in both, as Python's `&` is on a negative int)."""
    by_flags = " ".join(
        f"WHEN {flags} = {value} THEN '{kind.value}'" for value, kind in KIND_OF_FLAGS.items()
    )
    by_type = " ".join(f"WHEN {bits} THEN '{kind.value}'" for bits, kind in _KIND_OF_TYPE.items())
    return (
        f"CASE {by_flags} WHEN typeof({mode}) = 'integer' THEN CASE {mode} & {_TYPE_BITS} {by_type} END END"
    )
