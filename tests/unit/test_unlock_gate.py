"""The unlock gate: the throttle, and one bound on key derivations that holds even for abandoned requests."""

import asyncio

import pytest

from ios_backup_api.adapters.sessions.attempts_memory import InMemoryFailedAttemptLog
from ios_backup_api.domain.errors import CatalogUnavailableError, TooManyAttemptsError, WrongPassphraseError
from ios_backup_api.domain.manifest import EntryKind, FileQuery, ManifestEntry
from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.services.throttle import FailedUnlockThrottle, ThrottlePolicy
from ios_backup_api.domain.services.unlock_gate import UnlockGate
from tests.fakes.vault import InMemoryBackupVault, InMemoryOpenBackup
from tests.support.clock import FakeClock


class SlowVault(InMemoryBackupVault):
    """Opens only when `release` is set, and counts the opens running at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.running = 0
        self.peak = 0
        self.opened: list[InMemoryOpenBackup] = []

    async def open(self, backup_id: str, passphrase: str | None) -> InMemoryOpenBackup:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await self.release.wait()
            opened = await super().open(backup_id, passphrase)
        finally:
            self.running -= 1
        self.opened.append(opened)
        return opened


def _gate(vault: InMemoryBackupVault, limit: int = 2) -> UnlockGate:
    throttle = FailedUnlockThrottle(FakeClock(), InMemoryFailedAttemptLog(), ThrottlePolicy(free_attempts=1))
    return UnlockGate(vault, throttle, limit)


def _vault() -> SlowVault:
    vault = SlowVault()
    entry = ManifestEntry("a" * 40, "HomeDomain", "a.txt", EntryKind.FILE, 1, 0o100644, None, 3, None)
    vault.add_backup("b", "secret", [(entry, b"a")])
    return vault


async def test_derivations_beyond_the_limit_are_refused_at_once() -> None:
    vault = _vault()
    gate = _gate(vault)
    pending = [asyncio.create_task(gate.open("b", "secret")) for _ in range(2)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert vault.running == 2
    with pytest.raises(TooManyAttemptsError):
        await gate.open("b", "secret")
    vault.release.set()
    opened: list[OpenBackup] = await asyncio.gather(*pending)
    assert [(await handle.files(FileQuery())).total for handle in opened] == [1, 1]
    assert vault.peak == 2
    await gate.open("b", "secret")  # the slots are free again


async def test_an_abandoned_derivation_keeps_its_slot_until_it_ends_and_its_handle_is_closed() -> None:
    vault = _vault()
    gate = _gate(vault, limit=1)
    abandoned = asyncio.create_task(gate.open("b", "secret"))
    await asyncio.sleep(0)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    with pytest.raises(TooManyAttemptsError):
        await gate.open("b", "secret")  # the derivation still runs: its slot is taken
    vault.release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(vault.opened) == 1
    assert not vault.opened[0].is_open, "nobody will close the handle of an abandoned unlock: the gate does"
    assert (await (await gate.open("b", "secret")).files(FileQuery())).total == 1


async def test_wrong_passphrases_are_counted_and_then_throttled() -> None:
    vault = _vault()
    vault.release.set()
    gate = _gate(vault)
    with pytest.raises(WrongPassphraseError):
        await gate.open("b", "wrong")
    with pytest.raises(TooManyAttemptsError):
        await gate.open("b", "secret")


def test_the_limit_must_allow_one_derivation() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        _gate(_vault(), limit=0)


class _AwayLog(InMemoryFailedAttemptLog):
    """An attempt log whose database went away after the passphrase was checked."""

    async def clear(self, backup_id: str) -> None:
        raise CatalogUnavailableError("The catalog database failed while clearing: connection refused")


async def test_a_handle_nobody_gets_because_the_attempt_log_failed_is_closed() -> None:
    vault = _vault()
    vault.release.set()
    gate = UnlockGate(vault, FailedUnlockThrottle(FakeClock(), _AwayLog()), 2)
    with pytest.raises(CatalogUnavailableError):
        await gate.open("b", "secret")
    assert len(vault.opened) == 1
    assert not vault.opened[0].is_open


async def test_an_abandoned_wrong_passphrase_still_counts() -> None:
    vault = _vault()
    gate = _gate(vault)
    abandoned = asyncio.create_task(gate.open("b", "wrong"))
    await asyncio.sleep(0)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    vault.release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    with pytest.raises(TooManyAttemptsError):
        await gate.open("b", "secret")  # one failure was free: the abandoned guess used it
