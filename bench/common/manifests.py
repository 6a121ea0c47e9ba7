"""A phone-like manifest of any number of rows: a few big system domains, hundreds of apps of Zipf-like
sizes, nested folders (every parent folder is a row, as in real backups), files and some symlinks."""

import random
import uuid
from collections.abc import Callable

from ios_backup_api.adapters.backup_writer.spec import (
    SyntheticDirectory,
    SyntheticEntry,
    SyntheticFile,
    SyntheticSymlink,
)

_WORDS = [
    "cache",
    "state",
    "media",
    "store",
    "index",
    "sync",
    "photos",
    "notes",
    "mail",
    "maps",
    "music",
    "books",
    "news",
    "health",
    "wallet",
    "keyboard",
    "widgets",
    "search",
    "shared",
    "backup",
    "assets",
    "thumbnails",
    "drafts",
    "inbox",
    "archive",
    "settings",
    "logs",
]
_VENDORS = ("apple", "google", "microsoft", "facebook", "spotify", "netflix", "example", "acme", "zeta")
_EXTENSIONS = ("jpg", "png", "plist", "db", "sqlite", "json", "txt", "mov", "HEIC", "JPG", "m4a", "dat")
_PHOTO_EXTENSIONS = ("HEIC", "JPG", "MOV", "PNG")
_SYSTEM = {
    "CameraRollDomain": 0.16,
    "HomeDomain": 0.14,
    "MediaDomain": 0.04,
    "AppDomainGroup-group.net.whatsapp.WhatsApp.shared": 0.06,
    "RootDomain": 0.01,
    "SystemPreferencesDomain": 0.005,
    "KeychainDomain": 0.001,
    "WirelessDomain": 0.002,
    "HealthDomain": 0.01,
    "KeyboardDomain": 0.002,
    "DatabaseDomain": 0.003,
    "ManagedPreferencesDomain": 0.001,
}
SELECTIVE_LIKE = "Library/SMS/Attachments/%"
"""About 1% of rows match (HomeDomain and MediaDomain)."""
UNSELECTIVE_LIKE = "%.jpg"
"""About a fifth of rows match (LIKE is case-insensitive: .JPG too)."""
BIG_DOMAIN = "CameraRollDomain"


def manifest_entries(rows: int, seed: int) -> tuple[SyntheticEntry, ...]:
    """Exactly `rows` entries (domain roots included), the same for the same arguments."""
    rng = random.Random(seed)
    domains, weights = _domains(rng, rows)
    entries: dict[tuple[str, str], SyntheticEntry] = {}
    files: list[tuple[str, str]] = []
    serial = 0
    while len(entries) < rows:
        domain = rng.choices(domains, weights)[0]
        serial += 1
        path = _path_for(domain)(rng, serial)
        if (domain, path) in entries:
            continue
        _add_parents(entries, domain, path)
        if rng.random() < 0.03:
            target = f"/private/var/mobile/{path}"
            entries[domain, path] = SyntheticSymlink(domain, path, target)
        else:
            content = rng.randbytes(rng.choice((0, 17, 100, 300, 700)))
            entries[domain, path] = SyntheticFile(
                domain, path, content, protection_class=rng.choice((1, 2, 3, 3, 3, 4))
            )
            files.append((domain, path))
    while len(entries) > rows:
        del entries[files.pop()]
    return tuple(entries.values())


def _domains(rng: random.Random, rows: int) -> tuple[list[str], list[float]]:
    apps = max(4, rows // 600)
    names = list(_SYSTEM)
    weights = list(_SYSTEM.values())
    left = 1 - sum(weights)
    zipf = [1 / (rank + 1) for rank in range(apps)]
    for rank, share in enumerate(zipf):
        vendor = rng.choice(_VENDORS)
        kind = rng.choice(("AppDomain", "AppDomain", "AppDomain", "AppDomainGroup", "AppDomainPlugin"))
        prefix = "group." if kind == "AppDomainGroup" else ""
        names.append(f"{kind}-{prefix}com.{vendor}.{rng.choice(_WORDS)}{rank}")
        weights.append(left * share / sum(zipf))
    return names, weights


def _add_parents(entries: dict[tuple[str, str], SyntheticEntry], domain: str, path: str) -> None:
    parts = path.split("/")
    for depth in range(len(parts)):
        parent = "/".join(parts[:depth])
        if (domain, parent) not in entries:
            entries[domain, parent] = SyntheticDirectory(domain, parent, protection_class=depth % 5)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(bytes=rng.randbytes(16), version=4)).upper()


def _path_for(domain: str) -> Callable[[random.Random, int], str]:
    if domain == "CameraRollDomain":
        return _camera_roll
    if domain in ("HomeDomain", "MediaDomain"):
        return _home
    return _app


def _camera_roll(rng: random.Random, serial: int) -> str:
    folder = f"{100 + serial // 2000}APPLE"
    name = f"IMG_{serial % 10000:04d}"
    choice = rng.random()
    if choice < 0.5:
        return f"Media/DCIM/{folder}/{name}.{rng.choice(_PHOTO_EXTENSIONS)}"
    if choice < 0.8:
        return f"Media/PhotoData/Thumbnails/V2/DCIM/{folder}/{name}.JPG/{rng.choice((5003, 5005))}.JPG"
    return f"Media/PhotoData/CPLAssets/group{serial % 40}/{_uuid(rng)}.JPG"


def _home(rng: random.Random, serial: int) -> str:
    choice = rng.random()
    if choice < 0.08:
        return f"Library/SMS/Attachments/{serial % 256:02x}/{serial % 16:02d}/{_uuid(rng)}/IMG_{serial}.jpeg"
    if choice < 0.5:
        return f"Library/Caches/com.apple.{rng.choice(_WORDS)}/fsCachedData/{_uuid(rng)}"
    if choice < 0.7:
        return f"Library/Preferences/com.apple.{rng.choice(_WORDS)}.{serial}.plist"
    return f"Library/{rng.choice(_WORDS).title()}/{rng.choice(_WORDS)}-{serial}.{rng.choice(_EXTENSIONS)}"


def _app(rng: random.Random, serial: int) -> str:
    choice = rng.random()
    word = rng.choice(_WORDS)
    if choice < 0.35:
        return f"Documents/{word}/{rng.choice(_WORDS)}_{serial}.{rng.choice(_EXTENSIONS)}"
    if choice < 0.6:
        return f"Library/Caches/{word}/{_uuid(rng)}"
    if choice < 0.8:
        return f"Library/Application Support/{word}/{serial}.{rng.choice(_EXTENSIONS)}"
    if choice < 0.9:
        return f"Library/Preferences/{word}.{serial}.plist"
    return f"tmp/{_uuid(rng)}.tmp"
