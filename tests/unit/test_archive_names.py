"""Member names for any domain and relative path unpack inside the archive's folder, symlinks too, and no two
members share a name; ordinary names are kept as they are."""

import posixpath

from hypothesis import given
from hypothesis import strategies as st

from ios_backup_api.domain.archive_names import UniqueNames, entry_parts, link_target

_text = st.text(st.characters(blacklist_categories=()), max_size=30) | st.lists(
    st.sampled_from(["..", ".", "", "a", "\\", "..\\..", "/", "b.txt", "\x00", "\n"]), max_size=8
).map("".join)


def _inside(path: str) -> bool:
    """Whether `path`, relative to the archive's folder, stays in it (posix rules, and Windows' backslash)."""
    normal = posixpath.normpath(path)
    return not path.startswith("/") and normal != ".." and not normal.startswith("../")


@given(domain=_text, relative_path=_text)
def test_every_name_unpacks_inside_the_folder_as_one_path_part_per_part(
    domain: str, relative_path: str
) -> None:
    parts = entry_parts(domain, relative_path)
    assert parts
    assert all(parts)
    for part in parts:
        assert "/" not in part
        assert "\\" not in part
        assert part not in (".", "..")
        assert all(ord(char) >= 0x20 and char != "\x7f" for char in part)
        part.encode()  # valid UTF-8: no lone surrogate
    assert _inside("/".join(parts))


@given(domain=_text, relative_path=_text, target=_text)
def test_a_symlink_never_points_outside_the_folder(domain: str, relative_path: str, target: str) -> None:
    parts = entry_parts(domain, relative_path)
    rewritten = link_target(parts, target)
    assert not rewritten.startswith("/")
    assert _inside(posixpath.join(*parts[:-1], rewritten) if len(parts) > 1 else rewritten)


def test_ordinary_names_and_targets_are_kept() -> None:
    parts = entry_parts("HomeDomain", "Library/SMS/sms.db")
    assert parts == ["HomeDomain", "Library", "SMS", "sms.db"]
    assert entry_parts("AppDomain-x", "Documents/Crème brûlée.txt")[-1] == "Crème brûlée.txt"
    assert link_target(["D", "a", "link"], "../b/c") == "../b/c"
    assert link_target(["D", "a", "link"], "c") == "c"


def test_odd_names_are_escaped_and_targets_clamped() -> None:
    assert entry_parts("D", "/a//./../b\\c") == ["D", "a", "%2E%2E", "b%5Cc"]
    assert entry_parts("", "x") == ["_", "x"]
    assert entry_parts("A/B", "") == ["A%2FB"]
    # An absolute target starts at the archive's folder; `..` past it stays there.
    assert link_target(["HomeDomain", "Library", "link"], "/private/var/x") == "../../private/var/x"
    assert link_target(["D", "link"], "../../../../etc/passwd") == "../etc/passwd"
    assert link_target(["D", "link"], "") == "."


@given(st.lists(st.lists(st.sampled_from(["a", "b", "a.txt", "a (2).txt", ".x"]), min_size=1, max_size=3)))
def test_no_two_members_get_one_name(paths: list[list[str]]) -> None:
    names = UniqueNames()
    given_names = [names.member(parts) for parts in paths]
    assert len(set(given_names)) == len(given_names)


def test_a_name_met_again_is_numbered_before_its_extension_and_a_folder_is_one_folder() -> None:
    names = UniqueNames()
    assert names.member(["D", "a.txt"]) == "D/a.txt"
    assert names.member(["D", "a.txt"]) == "D/a (2).txt"
    assert names.member(["D", ".profile"]) == "D/.profile"
    assert names.member(["D", ".profile"]) == "D/.profile (2)"
    assert names.folder(["D"]) == "D/"
    assert names.folder(["D"]) is None
    assert names.member(["D"]) == "D (2)"
    assert names.folder(["D", "a.txt"]) == "D/a.txt (2)/"
