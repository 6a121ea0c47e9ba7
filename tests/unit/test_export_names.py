"""Where extract puts an entry and where its links lead: never outside the destination, checked against
posixpath's resolution (a destination as the root) and against the kernel's."""

import os
import posixpath
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.export.names import UnsafeNameError, entry_parts
from ios_backup_api.adapters.export.tree import DestinationTree
from ios_backup_api.domain.link_targets import confined_target

_names = st.sampled_from(["a", "b", "c d", "é"])
_folders = st.lists(_names, min_size=1, max_size=4)
_targets = st.builds(
    lambda absolute, parts: ("/" if absolute else "") + "/".join(parts),
    st.booleans(),
    st.lists(st.sampled_from(["..", ".", "", "a", "b", "é"]), min_size=1, max_size=8),
)


@given(_folders, _names, _targets)
def test_a_confined_target_leads_where_the_recorded_one_does_with_the_destination_as_root(
    folder: list[str], name: str, target: str
) -> None:
    link = [*folder, name]
    confined = confined_target(link, target)
    where = "/" + "/".join(folder)
    assert _resolved(where, confined) == _resolved(where, target)
    steps = confined.split("/")
    ups = len(steps) - len(list(_dropwhile_up(steps)))
    assert ups <= len(folder), "more steps up than folders above the link"
    assert ".." not in steps[ups:], "a step up after a name can leave through a link"


def _resolved(folder: str, target: str) -> str:
    # normpath keeps a leading "//" (POSIX leaves its meaning open): one root here.
    return posixpath.normpath("/" + posixpath.join(folder, target).lstrip("/"))


def _dropwhile_up(steps: list[str]) -> list[str]:
    index = 0
    while index < len(steps) and steps[index] == "..":
        index += 1
    return steps[index:]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_folders, _names, _targets), min_size=1, max_size=6))
def test_links_written_with_confined_targets_never_resolve_outside_the_destination(
    links: list[tuple[list[str], str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "dest"
        root.mkdir()
        tree = DestinationTree(root)
        written = []
        for folder, name, target in links:
            parts = (*folder, name)
            try:
                tree.link(parts, confined_target(parts, target), None)
            except OSError:
                continue  # a link where a folder of another link must be: reported, not written
            written.append(root.joinpath(*parts))
        for link in written:
            assert Path(os.path.realpath(link)).is_relative_to(os.path.realpath(root)), os.readlink(link)


@pytest.mark.parametrize(
    ("domain", "path"),
    [
        ("HomeDomain", "../escape"),
        ("HomeDomain", "Library/../../escape"),
        ("HomeDomain", "/etc/passwd"),
        ("HomeDomain", "a\0b"),
        ("..", "x"),
        ("Home/Domain", "x"),
        ("", "x"),
    ],
)
def test_names_that_would_leave_the_destination_are_refused(domain: str, path: str) -> None:
    with pytest.raises(UnsafeNameError):
        entry_parts(domain, path)


def test_empty_and_dot_parts_are_no_names() -> None:
    assert entry_parts("HomeDomain", "") == ("HomeDomain",)
    assert entry_parts("HomeDomain", "./Library//SMS/sms.db") == ("HomeDomain", "Library", "SMS", "sms.db")


def test_a_file_is_never_written_through_a_link_in_the_destination(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "dest"
    root.mkdir()
    (root / "HomeDomain").symlink_to(outside)
    tree = DestinationTree(root)
    with pytest.raises(OSError, match="in the way of a folder"):
        tree.partial(("HomeDomain", "Library", "x"))
    assert list(outside.iterdir()) == []
