"""Where an entry goes inside a destination folder: never outside it (its links: `domain.link_targets`)."""


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
