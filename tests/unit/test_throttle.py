import pytest

from ios_backup_api.adapters.sessions.attempts_memory import InMemoryFailedAttemptLog
from ios_backup_api.domain.errors import TooManyAttemptsError
from ios_backup_api.domain.services.throttle import FailedUnlockThrottle, ThrottlePolicy
from tests.support.clock import FakeClock


def _throttle(clock: FakeClock, free_attempts: int) -> FailedUnlockThrottle:
    return FailedUnlockThrottle(
        clock, InMemoryFailedAttemptLog(), ThrottlePolicy(free_attempts=free_attempts)
    )


async def test_the_first_failures_are_free_then_each_waits_twice_as_long() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, 3)
    for _ in range(3):
        await throttle.check("b")
        await throttle.failed("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        await throttle.check("b")
    assert raised.value.retry_after_seconds == 1
    clock.advance(1)
    await throttle.check("b")
    await throttle.failed("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        await throttle.check("b")
    assert raised.value.retry_after_seconds == 2


async def test_the_delay_is_capped_so_the_owner_is_never_locked_out_for_long() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, 1)
    for _ in range(50):
        await throttle.failed("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        await throttle.check("b")
    assert raised.value.retry_after_seconds == 60
    clock.advance(60)
    await throttle.check("b")


async def test_a_success_clears_the_record_and_backups_are_throttled_apart() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, 1)
    await throttle.failed("b")
    await throttle.check("other")
    with pytest.raises(TooManyAttemptsError):
        await throttle.check("b")
    await throttle.succeeded("b")
    await throttle.check("b")


async def test_instances_sharing_one_log_share_the_count() -> None:
    clock, log = FakeClock(), InMemoryFailedAttemptLog()
    first, second = (FailedUnlockThrottle(clock, log, ThrottlePolicy(free_attempts=2)) for _ in range(2))
    await first.failed("b")
    await second.failed("b")
    for throttle in (first, second):
        with pytest.raises(TooManyAttemptsError):
            await throttle.check("b")
