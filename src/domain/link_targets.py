"""Where a symlink copied out of a backup (into an archive, onto a disk) may point: never outside the folder
it is copied into, whatever the manifest recorded."""

from collections.abc import Callable, Sequence


def confined_target(link: Sequence[str], target: str, name: Callable[[str], str] = str) -> str:
    """The target a link at `link` (its path's parts below the folder) gets: the recorded `target` resolved
    as if the folder were the root of the file system (an absolute target starts there, and `..` stops
    there), each part written by `name`, then relative to the link's folder as `../` steps up followed by
    names down. A link that only steps up through real folders to below the folder and then down never leads
    out of it, whatever the links it meets on the way point to (each of them is confined the same way)."""
    folder = list(link[:-1])
    resolved: list[str] = [] if target.startswith("/") else list(folder)
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if resolved:
                resolved.pop()
        else:
            resolved.append(name(part))
    shared = 0
    while shared < min(len(folder), len(resolved)) and folder[shared] == resolved[shared]:
        shared += 1
    return "/".join([".."] * (len(folder) - shared) + resolved[shared:]) or "."
