"""What to write: a device identity, the backup's protection, and the rows of its Manifest.db."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from ios_backup_api.adapters.backup_writer.content import CHUNK_SIZE, GeneratedContent
from ios_backup_api.adapters.backup_writer.file_ids import file_id

DEFAULT_MODIFIED_AT = 1_700_000_000  # 2023-11-14T22:13:20Z
DEFAULT_DPIC_ITERATIONS = 10_000_000
DEFAULT_ITER_ITERATIONS = 10_000
FILE_MODE = 0o100644
DIRECTORY_MODE = 0o40755
SYMLINK_MODE = 0o120755
HIGHEST_PROTECTION_CLASS = 11  # a backup keybag holds class keys 1..11


@dataclass(frozen=True, slots=True)
class SyntheticFile:
    domain: str
    relative_path: str
    content: bytes | GeneratedContent = b""
    protection_class: int = 3
    mode: int = FILE_MODE
    modified_at: int = DEFAULT_MODIFIED_AT

    def __post_init__(self) -> None:
        if not 1 <= self.protection_class <= HIGHEST_PROTECTION_CLASS:
            raise ValueError(f"a file's protection class must be 1..11, got {self.protection_class}")

    @classmethod
    def of_size(
        cls,
        domain: str,
        relative_path: str,
        size: int,
        seed: int,
        *,
        protection_class: int = 3,
        mode: int = FILE_MODE,
        modified_at: int = DEFAULT_MODIFIED_AT,
    ) -> "SyntheticFile":
        """A file whose pseudo-random content is generated as it is written: its size costs no memory."""
        return cls(domain, relative_path, GeneratedContent(size, seed), protection_class, mode, modified_at)

    @property
    def file_id(self) -> str:
        return file_id(self.domain, self.relative_path)

    @property
    def size(self) -> int:
        return len(self.content) if isinstance(self.content, bytes) else self.content.size

    def chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The content, again, in chunks: how the writer reads it and how a test compares what came out."""
        if isinstance(self.content, GeneratedContent):
            yield from self.content.chunks(chunk_size)
        else:
            for start in range(0, len(self.content), chunk_size):
                yield self.content[start : start + chunk_size]

    def read_bytes(self) -> bytes:
        return self.content if isinstance(self.content, bytes) else self.content.read_all()


@dataclass(frozen=True, slots=True)
class SyntheticDirectory:
    domain: str
    relative_path: str
    protection_class: int = 0
    mode: int = DIRECTORY_MODE
    modified_at: int = DEFAULT_MODIFIED_AT

    @property
    def file_id(self) -> str:
        return file_id(self.domain, self.relative_path)


@dataclass(frozen=True, slots=True)
class SyntheticSymlink:
    domain: str
    relative_path: str
    target: str
    mode: int = SYMLINK_MODE
    modified_at: int = DEFAULT_MODIFIED_AT

    @property
    def file_id(self) -> str:
        return file_id(self.domain, self.relative_path)


SyntheticEntry = SyntheticFile | SyntheticDirectory | SyntheticSymlink


class Layout(Enum):
    MANIFEST_DB = "Manifest.db"
    """iOS 10.2 and later: an SQLite manifest (encrypted with the backup), payloads in `<id[:2]>/<id>`."""
    MANIFEST_MBDB = "Manifest.mbdb"
    """iOS 4 to 9: a plain mbdb manifest, payloads at the root, a keybag without DPSL/DPIC."""


@dataclass(frozen=True, slots=True)
class SyntheticBackup:
    udid: str
    device_name: str
    display_name: str
    product_type: str
    product_version: str
    build_version: str
    serial_number: str
    last_backup_at: datetime
    passphrase: str | None = None
    """None writes an unencrypted backup."""
    dpic_iterations: int = DEFAULT_DPIC_ITERATIONS
    iter_iterations: int = DEFAULT_ITER_ITERATIONS
    entries: tuple[SyntheticEntry, ...] = ()
    product_name: str | None = None
    was_passcode_set: bool = True
    layout: Layout = Layout.MANIFEST_DB
    plain_manifest: bool = False
    """With a passphrase: Manifest.db left plain, no ManifestKey and a keybag without DPSL/DPIC, as iOS 10.0
    and 10.1 wrote (the payloads are still encrypted). Give such a backup a `product_version` of 10.0 or
    10.1."""
    decrypted_copy: bool = False
    """With a passphrase: the backup as a decrypting tool leaves it (mvt's `decrypt-backup`,
    iphone_backup_decrypt's scripts): Manifest.plist as the device wrote it (IsEncrypted, the keybag, the
    ManifestKey) over a plain Manifest.db and plain payloads, whose records keep their EncryptionKey."""
    left_out: frozenset[str] = frozenset()
    """Plists not written (`Info.plist`, `Status.plist`, `Manifest.plist`), as some tools write none."""
    snapshot_state: str = "finished"
    """Status.plist's SnapshotState; any other is a backup still being written, with a `Snapshot/` folder
    holding the start of its next Manifest.db."""

    def __post_init__(self) -> None:
        if self.dpic_iterations < 1 or self.iter_iterations < 1:
            raise ValueError("PBKDF2 needs at least one iteration")
        if self.last_backup_at.utcoffset() is None:
            raise ValueError("last_backup_at must be timezone-aware")

    @property
    def is_encrypted(self) -> bool:
        return self.passphrase is not None

    @property
    def domains(self) -> tuple[str, ...]:
        """Every domain the entries use, in order of first use."""
        return tuple(dict.fromkeys(entry.domain for entry in self.entries))

    @property
    def app_bundle_ids(self) -> tuple[str, ...]:
        prefix = "AppDomain-"
        return tuple(domain.removeprefix(prefix) for domain in self.domains if domain.startswith(prefix))

    def all_entries(self) -> tuple[SyntheticEntry, ...]:
        """The entries, preceded by a root directory row ('' relative path) for each domain that lacks one,
        as real backups have. Raises ValueError when two entries share a domain and relative path."""
        explicit = {(entry.domain, entry.relative_path) for entry in self.entries}
        if len(explicit) != len(self.entries):
            raise ValueError("two entries share a domain and relative path")
        roots = tuple(
            SyntheticDirectory(domain, "", modified_at=int(self.last_backup_at.timestamp()))
            for domain in self.domains
            if (domain, "") not in explicit
        )
        return roots + self.entries
