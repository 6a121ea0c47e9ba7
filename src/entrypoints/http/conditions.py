"""Conditional requests on a file's content (RFC 9110 §13): If-Match, If-None-Match and If-Range, against
the content's strong ETag."""


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def matches_strongly(header: str, etag: str) -> bool:
    """If-Match's comparison: `*`, or the same tag and not a weak one."""
    tags = _tags(header)
    return "*" in tags or etag in tags


def matches_weakly(header: str, etag: str) -> bool:
    """If-None-Match's comparison: `*`, or the same tag, weak or not."""
    tags = _tags(header)
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


def range_still_applies(if_range: str | None, etag: str) -> bool:
    """A Range is honoured unless If-Range names another version: a stale tag, a weak one, or a date (the
    content has no Last-Modified to compare it with); the whole file is sent then."""
    return if_range is None or if_range.strip() == etag
