"""How a backup names the payload of a row: the rule every reader relies on."""

import hashlib


def file_id(domain: str, relative_path: str) -> str:
    """Lowercase hex SHA-1 of "<domain>-<relativePath>", as in the Files table and the payload file name."""
    return hashlib.sha1(f"{domain}-{relative_path}".encode(), usedforsecurity=False).hexdigest()
