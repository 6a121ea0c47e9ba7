"""Where an entry goes inside a destination folder, and where its link may point: never outside it."""

from collections.abc import Sequence


class UnsafeNameError(ValueError):
    """A domain or relative path that would leave the destination (`..`, an absolute path, a NUL)."""


def entry_parts(domain: str, relative_path: str) -> tuple[str, ...]:
    """`<domain>/<relative_path>` as names below the destination. Raises `UnsafeNameError` for a name that
    would leave it or that no file system takes (a NUL); empty and `.` parts (`a//b`, `./a`) are no names."""
    if not domain or domain in (".", "..") or "/" in domain or "\0" in domain:
        raise UnsafeNameError(f"the domain {domain!r} is not a folder name")
    if relative_path.startswith("/") or "\0" in relative_path:
        raise UnsafeNameError(f"the path {relative_path!r} is not a relative path")
    parts = [part for part in relative_path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeNameError(f"the path {relative_path!r} leads out of its domain")
    return (domain, *parts)


def confined_target(link: Sequence[str], target: str) -> str:
    """The target a link at `link` (names below the destination) gets: the recorded `target` resolved as if
    the destination were the root of the file system (an absolute target starts there, and `..` stops
    there), written relative to the link's folder as `../` steps up followed by names down. A link that only
    steps up through real folders to below the destination and then down never leads out of it, whatever
    the links it meets on the way point to (each of them is confined the same way)."""
    folder = list(link[:-1])
    resolved: list[str] = [] if target.startswith("/") else list(folder)
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
        else:
            resolved.append(part)
    shared = 0
    while shared < min(len(folder), len(resolved)) and folder[shared] == resolved[shared]:
        shared += 1
    steps = [".."] * (len(folder) - shared) + resolved[shared:]
    return "/".join(steps) or "."
