"""An entry's kind: from the flags (1, 2, 4), else from the file type of the record's Mode, else none."""

import stat

import pytest

from ios_backup_api.adapters.vault.kinds import kind_of
from ios_backup_api.domain.manifest import EntryKind

FILE, FOLDER, LINK = EntryKind.FILE, EntryKind.DIRECTORY, EntryKind.SYMLINK


@pytest.mark.parametrize(
    ("flags", "mode", "kind"),
    [
        (1, stat.S_IFDIR | 0o755, FILE),  # the flags win over the Mode
        (2, None, FOLDER),
        (4, stat.S_IFREG | 0o644, LINK),
        (1.0, None, FILE),  # what SQLite's `flags = 1` also matches
        (0, stat.S_IFREG | 0o644, FILE),
        (8, stat.S_IFDIR | 0o755, FOLDER),
        (None, stat.S_IFLNK | 0o755, LINK),
        ("1", stat.S_IFDIR, FOLDER),  # text is no flags, to SQLite as here
        (1.5, stat.S_IFLNK, LINK),
        (16, stat.S_IFIFO | 0o644, None),
        (None, stat.S_IFSOCK, None),
        (b"\x01", None, None),
        (0, 0, None),
        (None, 2**40 | stat.S_IFDIR, FOLDER),  # a Mode past 32 bits (a crafted record) still has type bits
        (None, 2**63 - 1, None),
    ],
)
def test_the_kind_comes_from_the_flags_then_the_mode(
    flags: object, mode: int | None, kind: EntryKind | None
) -> None:
    assert kind_of(flags, mode) is kind
