"""Several real `ios-backup-api serve` processes on one catalog database, sharing sessions through it."""

from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path

from tests.support.server import RunningServer, running_server


class Cluster:
    """Instances on `database_url` over the backups in `base`; each is started into `stack` (or another
    stack given to `start`, to stop some instances before the others)."""

    def __init__(
        self,
        base: Path,
        database_url: str,
        tmp_path: Path,
        stack: ExitStack,
        token: str,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.base, self.database_url, self.tmp_path, self.stack = base, database_url, tmp_path, stack
        self.token = token
        self.extra_env = dict(extra_env or {})
        self.started = 0

    def env(self) -> dict[str, str]:
        home = self.tmp_path / "home"
        home.mkdir(exist_ok=True)
        return {
            "HOME": str(home),
            "IOS_BACKUP_SECURITY__API_TOKEN": self.token,
            "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(self.base),
            "IOS_BACKUP_DATABASE__URL": self.database_url,
            "IOS_BACKUP_SESSIONS__STORE": "database",
            **self.extra_env,
        }

    def start(self, stack: ExitStack | None = None) -> RunningServer:
        self.started += 1
        log = self.tmp_path / f"instance-{self.started}.log"
        return (stack or self.stack).enter_context(running_server(self.env(), self.tmp_path, log))
