"""The unlock gate: attempts counted as they begin, per backup whatever its name; each backup's unlocks in a
lane of their own sharing the derivation slots fairly; the bounds hold even for abandoned requests."""

import asyncio

import pytest

from ios_backup_api.adapters.sessions.attempts_memory import InMemoryUnlockAttemptLog
from ios_backup_api.domain.errors import (
    CatalogUnavailableError,
    CorruptBackupError,
    TooManyAttemptsError,
    UnlockBusyError,
    WrongPassphraseError,
)
from ios_backup_api.domain.manifest import EntryKind, FileQuery, ManifestEntry
from ios_backup_api.domain.ports.attempts import UnlockAttempts
from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.services.throttle import ThrottlePolicy, UnlockThrottle
from ios_backup_api.domain.services.unlock_gate import UnlockGate
from tests.fakes.vault import InMemoryBackupVault, InMemoryOpenBackup
from tests.support.clock import FakeClock


class SlowVault(InMemoryBackupVault):
    """Opens only when `release` is set; counts the opens running at once and those begun per backup."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.running = 0
        self.peak = 0
        self.begun: list[str] = []
        self.opened: list[InMemoryOpenBackup] = []
        self.damaged: set[str] = set()

    async def open(self, backup_id: str, passphrase: str | None) -> InMemoryOpenBackup:
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.begun.append(backup_id)
        try:
            await self.release.wait()
            if backup_id in self.damaged:
                raise CorruptBackupError("Manifest.db is damaged.")
            opened = await super().open(backup_id, passphrase)
        finally:
            self.running -= 1
        self.opened.append(opened)
        return opened


def _gate(
    vault: InMemoryBackupVault,
    slots: int = 2,
    waiting: int = 8,
    free_attempts: int = 1,
    log: InMemoryUnlockAttemptLog | None = None,
) -> UnlockGate:
    policy = ThrottlePolicy(free_attempts=free_attempts)
    throttle = UnlockThrottle(FakeClock(), log or InMemoryUnlockAttemptLog(), policy)
    return UnlockGate(vault, throttle, slots, waiting)


def _vault(*names: str) -> SlowVault:
    vault = SlowVault()
    entry = ManifestEntry("a" * 40, "HomeDomain", "a.txt", EntryKind.FILE, 1, 0o100644, None, 3, None)
    for name in names or ("b",):
        vault.add_backup(name, "secret", [(entry, b"a")])
    return vault


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_one_backup_s_unlocks_take_turns_and_other_backups_wait_for_a_slot_but_are_never_refused() -> (
    None
):
    vault = _vault("b", "c", "d")
    gate = _gate(vault, slots=2, free_attempts=10)
    pending = [asyncio.create_task(gate.open(name, "secret")) for name in ("b", "b", "b", "c", "d")]
    await _settle()
    assert sorted(vault.begun) == ["b", "c"], "one of b's at a time; d waits for one of the two slots"
    vault.release.set()
    opened: list[OpenBackup] = await asyncio.gather(*pending)
    assert [(await handle.files(FileQuery())).total for handle in opened] == [1] * 5
    assert vault.peak == 2
    assert sorted(vault.begun) == ["b", "b", "b", "c", "d"]


async def test_a_backup_s_lane_holds_a_bounded_number_and_the_rest_are_refused_at_once() -> None:
    vault = _vault("b", "c")
    gate = _gate(vault, slots=1, waiting=2, free_attempts=10)
    pending = [asyncio.create_task(gate.open("b", "secret")) for _ in range(2)]
    await _settle()
    with pytest.raises(UnlockBusyError, match="2 unlocks of this backup are already waiting or running"):
        await gate.open("b", "secret")
    other = asyncio.create_task(gate.open("c", "secret"))
    await _settle()
    assert not other.done(), "c waits for the slot b holds, and is not refused"
    vault.release.set()
    await asyncio.gather(*pending, other)
    await gate.open("b", "secret")  # the lane is free again


async def test_guesses_made_at_once_derive_no_more_than_the_free_attempts() -> None:
    vault = _vault()
    gate = _gate(vault, free_attempts=5, waiting=8)
    guesses = [asyncio.create_task(gate.open("b", "wrong")) for _ in range(8)]
    await _settle()
    vault.release.set()
    outcomes = await asyncio.gather(*guesses, return_exceptions=True)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == (
        ["TooManyAttemptsError"] * 3 + ["WrongPassphraseError"] * 5
    )
    assert len(vault.begun) == 5


async def test_aliases_of_a_backup_share_its_count_and_its_lane() -> None:
    vault = _vault()
    vault.add_alias("b-link", "b")
    vault.release.set()
    gate = _gate(vault, free_attempts=1)
    with pytest.raises(WrongPassphraseError):
        await gate.open("b", "wrong")
    with pytest.raises(TooManyAttemptsError, match="1 unlock attempts on this backup"):
        await gate.open("b-link", "wrong")


async def test_an_abandoned_derivation_keeps_its_slot_until_it_ends_and_its_handle_is_closed() -> None:
    vault = _vault("b", "c")
    gate = _gate(vault, slots=1, free_attempts=10)
    abandoned = asyncio.create_task(gate.open("b", "secret"))
    await _settle()
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    waiting = asyncio.create_task(gate.open("c", "secret"))
    await _settle()
    assert vault.begun == ["b"], "the derivation still runs: its slot is taken"
    vault.release.set()
    await waiting
    assert len(vault.opened) == 2
    assert not vault.opened[0].is_open, "nobody will close the handle of an abandoned unlock: the gate does"


async def test_an_unlock_whose_request_goes_away_while_it_waits_leaves_and_is_taken_back() -> None:
    vault, log = _vault(), InMemoryUnlockAttemptLog()
    gate = _gate(vault, free_attempts=10, log=log)
    first = asyncio.create_task(gate.open("b", "wrong"))
    queued = asyncio.create_task(gate.open("b", "wrong"))
    await _settle()
    counted = await log.get("b")
    assert counted == UnlockAttempts(2, FakeClock().now()), "both counted as they began"
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    vault.release.set()
    with pytest.raises(WrongPassphraseError):
        await first
    await _settle()
    assert vault.begun == ["b"]
    counted = await log.get("b")
    assert counted is not None
    assert counted.count == 1


async def test_an_attempt_that_ends_before_its_passphrase_is_checked_is_taken_back() -> None:
    vault, log = _vault(), InMemoryUnlockAttemptLog()
    vault.damaged.add("b")
    vault.release.set()
    gate = _gate(vault, free_attempts=1, log=log)
    for _ in range(3):
        with pytest.raises(CorruptBackupError):
            await gate.open("b", "secret")
    counted = await log.get("b")
    assert counted is not None
    assert counted.count == 0


async def test_wrong_passphrases_are_counted_and_then_throttled_and_a_success_clears_them() -> None:
    vault, log = _vault(), InMemoryUnlockAttemptLog()
    vault.release.set()
    gate = _gate(vault, free_attempts=2, log=log)
    with pytest.raises(WrongPassphraseError):
        await gate.open("b", "wrong")
    await gate.open("b", "secret")
    assert await log.get("b") is None
    for _ in range(2):
        with pytest.raises(WrongPassphraseError):
            await gate.open("b", "wrong")
    with pytest.raises(TooManyAttemptsError):
        await gate.open("b", "secret")


@pytest.mark.parametrize(("slots", "waiting"), [(0, 1), (1, 0)])
def test_the_limits_must_allow_one(slots: int, waiting: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        _gate(_vault(), slots=slots, waiting=waiting)


class _AwayLog(InMemoryUnlockAttemptLog):
    """An attempt log whose database went away after the passphrase was checked."""

    async def clear(self, key: str) -> None:
        raise CatalogUnavailableError("The catalog database failed while clearing: connection refused")


async def test_a_handle_nobody_gets_because_the_attempt_log_failed_is_closed() -> None:
    vault = _vault()
    vault.release.set()
    gate = _gate(vault, log=_AwayLog())
    with pytest.raises(CatalogUnavailableError):
        await gate.open("b", "secret")
    assert len(vault.opened) == 1
    assert not vault.opened[0].is_open


async def test_an_abandoned_wrong_passphrase_still_counts() -> None:
    vault = _vault()
    gate = _gate(vault)
    abandoned = asyncio.create_task(gate.open("b", "wrong"))
    await _settle()
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    vault.release.set()
    await _settle()
    with pytest.raises(TooManyAttemptsError):
        await gate.open("b", "secret")  # one attempt was free: the abandoned guess used it
