from datetime import datetime

import pytest

from ios_backup_api.adapters.sessions.attempts_memory import InMemoryUnlockAttemptLog
from ios_backup_api.domain.errors import TooManyAttemptsError, UnlockBusyError
from ios_backup_api.domain.ports.attempts import UnlockAttempts
from ios_backup_api.domain.services.throttle import ThrottlePolicy, UnlockThrottle
from tests.support.clock import FakeClock


def _throttle(clock: FakeClock, free_attempts: int) -> UnlockThrottle:
    return UnlockThrottle(clock, InMemoryUnlockAttemptLog(), ThrottlePolicy(free_attempts=free_attempts))


async def test_the_first_attempts_are_free_then_each_waits_twice_as_long() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, 3)
    for _ in range(3):
        await throttle.begin("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        await throttle.begin("b")
    assert raised.value.retry_after_seconds == 1
    assert "3 unlock attempts on this backup since its last success" in str(raised.value)
    clock.advance(1)
    await throttle.begin("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        await throttle.begin("b")
    assert raised.value.retry_after_seconds == 2


async def test_a_refused_attempt_is_not_counted() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, 1)
    await throttle.begin("b")
    for _ in range(10):
        with pytest.raises(TooManyAttemptsError) as raised:
            await throttle.begin("b")
        assert raised.value.retry_after_seconds == 1, "the wait does not grow while refused"


async def test_the_delay_is_capped_so_the_owner_is_never_locked_out_for_long() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, 1)
    for _ in range(50):
        clock.advance(60)
        await throttle.begin("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        await throttle.begin("b")
    assert raised.value.retry_after_seconds == 60
    clock.advance(60)
    await throttle.begin("b")


async def test_a_success_clears_the_record_an_unchecked_attempt_is_taken_back_and_backups_are_apart() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, 1)
    await throttle.begin("b")
    await throttle.begin("other")
    with pytest.raises(TooManyAttemptsError):
        await throttle.begin("b")
    await throttle.succeeded("b")
    await throttle.begin("b")
    await throttle.unchecked("b")
    await throttle.begin("b")


async def test_instances_sharing_one_log_share_the_count() -> None:
    clock, log = FakeClock(), InMemoryUnlockAttemptLog()
    first, second = (UnlockThrottle(clock, log, ThrottlePolicy(free_attempts=2)) for _ in range(2))
    await first.begin("b")
    await second.begin("b")
    for throttle in (first, second):
        with pytest.raises(TooManyAttemptsError):
            await throttle.begin("b")


class _RacedLog(InMemoryUnlockAttemptLog):
    """A log on which another instance always counts first."""

    async def add_if(self, key: str, expected: int, at: datetime) -> UnlockAttempts | None:
        return None


async def test_an_attempt_that_never_wins_the_race_to_be_counted_is_refused_not_let_through() -> None:
    throttle = UnlockThrottle(FakeClock(), _RacedLog(), ThrottlePolicy(free_attempts=100))
    with pytest.raises(UnlockBusyError, match="being counted at the same moment"):
        await throttle.begin("b")


async def test_the_wait_counts_from_the_last_failure_not_from_when_it_began() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, 1)
    await throttle.begin("b")
    clock.advance(30)  # a long derivation, or a long wait in the queue
    await throttle.failed("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        await throttle.begin("b")
    assert raised.value.retry_after_seconds == 1
