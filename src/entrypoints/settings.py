"""Typed settings from the environment (`IOS_BACKUP_` prefix, `__` between section and key) and `.env`."""

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec

PREFIX = "IOS_BACKUP_"
APP_NAME = "ios-backup-api"
PASSPHRASE_VARIABLE = f"{PREFIX}PASSPHRASE"
"""Read by `extract` and `decrypt` from the environment (never from `.env`): a passphrase, not a setting."""


class SettingsError(Exception):
    """A configuration value is missing or malformed; the message names the variable in one line."""


class SecuritySettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    api_token: str | None = None


class BackupPathSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    base_path: Path = msgspec.field(default_factory=lambda: default_base_path())
    io_timeout_seconds: float = 5.0
    """How long a request waits for a backup folder's file work (a stat, an open, a read) before it counts
    the folder as not answering (a hung disk or network mount); such a folder's further work is refused at
    once until the stuck work returns."""
    io_threads: int = 64
    """Threads for file work in backup folders, in all."""
    io_threads_per_folder: int = 8


class DatabaseSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    url: str = msgspec.field(default_factory=lambda: default_database_url())
    migrate_on_start: bool = True
    start_timeout_seconds: float = 60.0
    """How long a start waits for an unreachable database before it gives up (and `serve` exits non-zero)."""


class ServerSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8080
    request_read_timeout_seconds: float = 20.0
    """A request's line, headers and body must arrive within this time of its first byte (of the connection,
    for a connection's first request), or the connection is closed."""
    keep_alive_timeout_seconds: int = 5
    """An idle connection between two requests is closed after this time."""
    max_connections: int = 500
    """Connections open at once; one beyond it is closed as soon as it is accepted. Keep it at most half the
    process's descriptor limit (`ulimit -n`, often 1024): a burst is accepted before the cap can close its
    excess, and the open backups' files count too."""
    log_repeat_limit: int = 10
    """Lines of one message written in `log_repeat_interval_seconds`; the rest are counted, and the count is
    written in one line at the interval's end."""
    log_repeat_interval_seconds: float = 60.0
    workers: int | Literal["auto"] = 1
    """Processes serving the one port, each on a core: `auto` is one per core this process may run on, at most
    `AUTO_WORKERS_MAX`. Each holds its own copy of every manifest it has served a session of (see README), so
    the default is one: more are a choice of memory for throughput."""

    def worker_count(self) -> int:
        if self.workers != "auto":
            return self.workers
        return max(1, min(AUTO_WORKERS_MAX, _usable_cores()))


AUTO_WORKERS_MAX = 4


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class SessionSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    ttl_seconds: int = 3600
    store: Literal["auto", "memory", "database"] = "auto"
    """`database` keeps sessions in the catalog database, so that several instances (or workers) share them;
    `memory` in the process; `auto` is `database` with several workers, else `memory`."""
    max_live: int = 1000
    """Live sessions allowed in all; an unlock beyond it is answered 429."""
    max_live_per_backup: int = 100


class UnlockSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    max_concurrent_derivations: int = 4
    """Passphrases run through key derivation (about a second of CPU each) at once; more wait their turn,
    each backup's one at a time, so a flood of one backup's unlocks never holds more than one."""
    max_waiting_per_backup: int = 8
    """Unlocks of one backup waiting or running at once; more are refused at once (429)."""
    free_attempts: int = 5
    """Unlock attempts a backup allows without a right passphrase (counted as they start, across its
    aliases) before each further attempt must wait."""
    first_delay_seconds: float = 1.0
    """The first wait, doubling with each further failure."""
    max_delay_seconds: float = 60.0


class ManifestSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    memory: Literal["auto", "ram-file", "in-process"] = "auto"
    """Where a decrypted Manifest.db is held: `ram-file` is a nameless file in `ram_folder`, which SQLite
    reads in place (one copy), and the start fails unless that folder is a tmpfs; `in-process` is SQLite's
    own memory (a second copy while it loads); `auto` takes RAM files where `ram_folder` is a tmpfs. With
    either of the first, a manifest the tmpfs has no room for is held in-process."""
    ram_folder: Path = Path("/dev/shm")  # noqa: S108 - files there are made O_EXCL 0600 and unlinked at once
    parallel_decrypt_from_mib: int = 16
    """Manifests of this size or more are decrypted by two threads."""
    read_ahead_max_mib: int = 512
    """A Manifest.db of at most this size is read while the passphrase's key is derived; a larger one is read
    once the passphrase proved right, so wrong guesses never cost its size in memory."""
    paged_from_mib: int = 0
    """A Manifest.db of this size or more is never held whole in memory: its pages are read from the backup's
    file (and decrypted) as queries need them, and only its order index is kept; -1 holds every one."""


class ViewSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    memory_mib: int = 1024
    """The app databases the typed views read, held decrypted in memory by all backups together; the least
    recently used one is dropped to make room, and a database larger than this answers 409."""
    query_timeout_seconds: float = 30.0
    """A view's query of a crafted database is stopped (409) after this long."""


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    security: SecuritySettings = msgspec.field(default_factory=SecuritySettings)
    backup_paths: BackupPathSettings = msgspec.field(default_factory=BackupPathSettings)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    sessions: SessionSettings = msgspec.field(default_factory=SessionSettings)
    unlock: UnlockSettings = msgspec.field(default_factory=UnlockSettings)
    manifest: ManifestSettings = msgspec.field(default_factory=ManifestSettings)
    views: ViewSettings = msgspec.field(default_factory=ViewSettings)

    @property
    def sessions_in_database(self) -> bool:
        """Whether sessions (and failed unlocks) are kept in the catalog database (see `SessionSettings`)."""
        store = self.sessions.store
        return store == "database" or (store == "auto" and self.server.worker_count() > 1)

    def __post_init__(self) -> None:
        _check(1 <= self.server.port <= 65535, "SERVER__PORT", "must be a port number from 1 to 65535")
        _check(
            self.sessions.ttl_seconds >= 1, "SESSIONS__TTL_SECONDS", "must be a positive number of seconds"
        )
        _check(bool(self.server.host), "SERVER__HOST", "must not be empty")
        _check(
            0 < self.server.request_read_timeout_seconds <= 3600,
            "SERVER__REQUEST_READ_TIMEOUT_SECONDS",
            "must be more than 0 and at most 3600 seconds",
        )
        _check(
            1 <= self.server.keep_alive_timeout_seconds <= 3600,
            "SERVER__KEEP_ALIVE_TIMEOUT_SECONDS",
            "must be from 1 to 3600 seconds",
        )
        _check(self.server.max_connections >= 1, "SERVER__MAX_CONNECTIONS", "must be at least 1")
        _check(
            self.server.workers == "auto" or 1 <= self.server.workers <= 64,
            "SERVER__WORKERS",
            "must be auto or from 1 to 64",
        )
        _check(
            self.sessions.store != "memory" or self.server.worker_count() == 1,
            "SESSIONS__STORE",
            "must be database or auto with several workers (SERVER__WORKERS): a session is served by any",
        )
        _check(self.server.log_repeat_limit >= 1, "SERVER__LOG_REPEAT_LIMIT", "must be at least 1")
        _check(
            0 < self.server.log_repeat_interval_seconds <= 86400,
            "SERVER__LOG_REPEAT_INTERVAL_SECONDS",
            "must be more than 0 and at most 86400 seconds",
        )
        _check(
            1 <= self.sessions.max_live_per_backup <= self.sessions.max_live,
            "SESSIONS__MAX_LIVE_PER_BACKUP",
            "must be from 1 to SESSIONS__MAX_LIVE",
        )
        _check(
            0 <= self.database.start_timeout_seconds <= 86400,
            "DATABASE__START_TIMEOUT_SECONDS",
            "must be from 0 to 86400 seconds",
        )
        _check(
            self.security.api_token is None or len(self.security.api_token) >= 16,
            "SECURITY__API_TOKEN",
            "must be at least 16 characters long",
        )
        _check(
            1 <= self.unlock.max_concurrent_derivations <= 64,
            "UNLOCK__MAX_CONCURRENT_DERIVATIONS",
            "must be from 1 to 64",
        )
        _check(
            1 <= self.unlock.max_waiting_per_backup <= 1000,
            "UNLOCK__MAX_WAITING_PER_BACKUP",
            "must be from 1 to 1000",
        )
        _check(
            0 < self.backup_paths.io_timeout_seconds <= 3600,
            "BACKUP_PATHS__IO_TIMEOUT_SECONDS",
            "must be more than 0 and at most 3600 seconds",
        )
        _check(
            1 <= self.backup_paths.io_threads_per_folder <= self.backup_paths.io_threads <= 1024,
            "BACKUP_PATHS__IO_THREADS_PER_FOLDER",
            "must be at least 1 and at most BACKUP_PATHS__IO_THREADS (at most 1024)",
        )
        _check(self.unlock.free_attempts >= 0, "UNLOCK__FREE_ATTEMPTS", "must not be negative")
        _check(
            0 < self.unlock.first_delay_seconds <= self.unlock.max_delay_seconds <= 86400,
            "UNLOCK__FIRST_DELAY_SECONDS",
            "must be positive and at most UNLOCK__MAX_DELAY_SECONDS (at most 86400)",
        )
        _check(self.manifest.read_ahead_max_mib >= 0, "MANIFEST__READ_AHEAD_MAX_MIB", "must not be negative")
        _check(
            self.manifest.paged_from_mib >= -1,
            "MANIFEST__PAGED_FROM_MIB",
            "must be a number of MiB, or -1 to hold every manifest in memory",
        )
        _check(
            self.manifest.parallel_decrypt_from_mib >= 1,
            "MANIFEST__PARALLEL_DECRYPT_FROM_MIB",
            "must be a positive number of MiB",
        )
        _check(self.views.memory_mib >= 1, "VIEWS__MEMORY_MIB", "must be a positive number of MiB")
        _check(
            0 < self.views.query_timeout_seconds <= 3600,
            "VIEWS__QUERY_TIMEOUT_SECONDS",
            "must be positive and at most 3600",
        )
        _check(
            self.database.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")),
            "DATABASE__URL",
            "must be an sqlite+aiosqlite:// or postgresql+asyncpg:// URL",
        )


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
    """Read the settings once: the environment wins over `.env`; raise `SettingsError` on a bad value."""
    values = dict(read_dotenv(dotenv)) if dotenv is not None and dotenv.is_file() else {}
    values.update(os.environ if environ is None else environ)
    nested: dict[str, Any] = {}
    for name, value in values.items():
        if not name.startswith(PREFIX) or name == PASSPHRASE_VARIABLE:
            continue
        section, sep, key = name[len(PREFIX) :].lower().partition("__")
        if not sep or not key or "__" in key:
            raise SettingsError(f"{name}: not a known setting (expected {PREFIX}<SECTION>__<KEY>)")
        nested.setdefault(section, {})[key] = value
    try:
        return msgspec.convert(nested, Settings, strict=False, dec_hook=_decode_path)
    except msgspec.ValidationError as error:
        raise SettingsError(_name_the_variable(str(error))) from None


def read_dotenv(path: Path) -> dict[str, str]:
    """`KEY=value` lines; `#` comments, blank lines and an optional `export ` are allowed; quotes stripped."""
    values = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        if not sep:
            raise SettingsError(f"{path}: not a KEY=value line: {raw[:60]!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def _decode_path(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str) and value:
        return Path(value).expanduser()
    raise NotImplementedError


def _check(ok: bool, variable: str, rule: str) -> None:
    if not ok:
        raise SettingsError(f"{PREFIX}{variable}: {rule}")


def _name_the_variable(message: str) -> str:
    # msgspec says e.g. "Expected `int`, got `str` - at `$.server.port`"; name the variable instead.
    reason, found, where = message.rpartition(" - at `$")
    if not found:
        reason, where = message, ""
    path = [part for part in where.rstrip("`").split(".") if part]
    unknown = reason.removeprefix("Object contains unknown field `")
    if unknown != reason:
        return f"{PREFIX}{'__'.join([*path, unknown.rstrip('`')]).upper()}: not a known setting"
    if not path:
        return f"{PREFIX}*: {message}"
    return f"{PREFIX}{'__'.join(path).upper()}: {reason[:1].lower()}{reason[1:]}"


def default_base_path() -> Path:
    """Where Finder (macOS) or iTunes and the Apple Devices app (Windows) write backups, the first that
    exists; else `./backups`."""
    return next((path for path in backup_locations() if path.is_dir()), Path("backups"))


def backup_locations() -> list[Path]:
    home = Path.home()
    if sys.platform != "win32":
        return [home / "Library" / "Application Support" / "MobileSync" / "Backup"]
    appdata = os.environ.get("APPDATA")
    roaming = [Path(appdata) / "Apple Computer", Path(appdata) / "Apple"] if appdata else []
    # iTunes from apple.com, then the Apple Devices app and iTunes from the Microsoft Store.
    return [
        *(folder / "MobileSync" / "Backup" for folder in roaming[:1]),
        home / "Apple" / "MobileSync" / "Backup",
        *(folder / "MobileSync" / "Backup" for folder in roaming[1:]),
    ]


def default_data_dir() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / APP_NAME
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / APP_NAME


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{default_data_dir() / 'catalog.sqlite3'}"
