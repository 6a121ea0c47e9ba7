import os

import pytest

from ios_backup_api.adapters.sessions.sealing import HkdfAesGcmKeySealer
from ios_backup_api.domain.errors import SessionRequiredError


def test_a_sealed_key_opens_with_its_token_only() -> None:
    sealer = HkdfAesGcmKeySealer()
    key = os.urandom(32)
    sealed = sealer.seal(key, "token-a")
    assert key not in sealed
    assert sealer.unseal(sealed, "token-a") == key
    with pytest.raises(SessionRequiredError):
        sealer.unseal(sealed, "token-b")


def test_sealing_twice_gives_different_bytes() -> None:
    sealer = HkdfAesGcmKeySealer()
    key = os.urandom(32)
    assert sealer.seal(key, "t") != sealer.seal(key, "t")


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],
        lambda b: b"\x02" + b[1:],
        lambda b: b[:5],
        lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:],
    ],
)
def test_a_tampered_seal_is_refused(damage: object) -> None:
    sealer = HkdfAesGcmKeySealer()
    sealed = sealer.seal(os.urandom(32), "t")
    with pytest.raises(SessionRequiredError):
        sealer.unseal(damage(sealed), "t")  # type: ignore[operator]
