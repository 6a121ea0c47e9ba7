import pytest

from ios_backup_api.domain.errors import TooManyAttemptsError
from ios_backup_api.domain.services.throttle import FailedUnlockThrottle, ThrottlePolicy
from tests.support.clock import FakeClock


def test_the_first_failures_are_free_then_each_waits_twice_as_long() -> None:
    clock = FakeClock()
    throttle = FailedUnlockThrottle(clock, ThrottlePolicy(free_attempts=3))
    for _ in range(3):
        throttle.check("b")
        throttle.failed("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        throttle.check("b")
    assert raised.value.retry_after_seconds == 1
    clock.advance(1)
    throttle.check("b")
    throttle.failed("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        throttle.check("b")
    assert raised.value.retry_after_seconds == 2


def test_the_delay_is_capped_so_the_owner_is_never_locked_out_for_long() -> None:
    clock = FakeClock()
    throttle = FailedUnlockThrottle(clock, ThrottlePolicy(free_attempts=1))
    for _ in range(50):
        throttle.failed("b")
    with pytest.raises(TooManyAttemptsError) as raised:
        throttle.check("b")
    assert raised.value.retry_after_seconds == 60
    clock.advance(60)
    throttle.check("b")


def test_a_success_clears_the_record_and_backups_are_throttled_apart() -> None:
    clock = FakeClock()
    throttle = FailedUnlockThrottle(clock, ThrottlePolicy(free_attempts=1))
    throttle.failed("b")
    throttle.check("other")
    with pytest.raises(TooManyAttemptsError):
        throttle.check("b")
    throttle.succeeded("b")
    throttle.check("b")
