"""The session lifecycle wired as the composition root wires it, over whatever a test hands it."""

from dataclasses import dataclass, field
from datetime import timedelta

from ios_backup_api.adapters.sessions.attempts_memory import InMemoryUnlockAttemptLog
from ios_backup_api.adapters.sessions.memory import InMemorySessionStore
from ios_backup_api.adapters.sessions.sealing import HkdfAesGcmKeySealer
from ios_backup_api.domain.ports.attempts import UnlockAttemptLog
from ios_backup_api.domain.ports.catalog import BackupCatalog
from ios_backup_api.domain.ports.clock import Clock
from ios_backup_api.domain.ports.sessions import SessionStore
from ios_backup_api.domain.ports.tokens import TokenSource
from ios_backup_api.domain.ports.vault import BackupVault
from ios_backup_api.domain.services.open_handles import OpenHandles
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.throttle import ThrottlePolicy, UnlockThrottle
from ios_backup_api.domain.services.unlock_gate import UnlockGate
from ios_backup_api.domain.sessions import SessionLifetime, SessionLimits
from tests.fakes.app_databases import InMemoryAppDatabases
from tests.support.clock import CountingTokenSource, FakeClock


@dataclass
class Wiring:
    catalog: BackupCatalog
    vault: BackupVault
    store: SessionStore = field(default_factory=InMemorySessionStore)
    attempts: UnlockAttemptLog = field(default_factory=InMemoryUnlockAttemptLog)
    clock: Clock = field(default_factory=FakeClock)
    tokens: TokenSource = field(default_factory=CountingTokenSource)
    ttl: timedelta = timedelta(minutes=10)
    policy: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    max_derivations: int = 4
    max_waiting_per_backup: int = 8
    limits: SessionLimits = field(default_factory=SessionLimits)
    databases: InMemoryAppDatabases = field(default_factory=InMemoryAppDatabases)

    def lifecycle(self) -> SessionLifecycle:
        """A new instance's lifecycle (its own handles and gate) on the shared store and attempt log."""
        throttle = UnlockThrottle(self.clock, self.attempts, self.policy)
        sealer = HkdfAesGcmKeySealer()
        return SessionLifecycle(
            self.catalog,
            self.store,
            UnlockGate(self.vault, throttle, self.max_derivations, self.max_waiting_per_backup),
            OpenHandles(self.vault, sealer, self.databases),
            sealer,
            self.tokens,
            SessionLifetime(self.clock, self.ttl),
            self.limits,
        )
