"""The Clock and TokenSource ports, against the system adapters and the test fakes."""

import base64
from datetime import UTC

import pytest

from ios_backup_api.adapters.system.clock import SystemClock
from ios_backup_api.adapters.system.tokens import SecretsTokenSource
from ios_backup_api.domain.ports.clock import Clock
from ios_backup_api.domain.ports.tokens import TokenSource
from tests.support.clock import CountingTokenSource, FakeClock


@pytest.mark.parametrize("clock", [SystemClock(), FakeClock()], ids=["system", "fake"])
def test_the_time_is_timezone_aware_utc(clock: Clock) -> None:
    assert clock.now().utcoffset() is not None
    assert clock.now().tzinfo == UTC


@pytest.mark.parametrize("source", [SecretsTokenSource(), CountingTokenSource()], ids=["secrets", "counting"])
def test_tokens_are_url_safe_and_fresh(source: TokenSource) -> None:
    tokens = [source.new_token() for _ in range(50)]
    assert len(set(tokens)) == len(tokens)
    assert all(token.replace("-", "").replace("_", "").isalnum() for token in tokens)


def test_system_tokens_carry_256_bits() -> None:
    token = SecretsTokenSource().new_token()
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) == 32
