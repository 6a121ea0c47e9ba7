"""The real vault behind the unlock service: lock and expiry drop the passphrase key and the class keys of
the session's handle, and the keybag object that held them is emptied."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ios_backup_api.adapters.system.tokens import SecretsTokenSource
from ios_backup_api.adapters.vault.handle import IosOpenBackup
from ios_backup_api.domain.backups import BackupStatus, CatalogedBackup
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from tests.fakes.catalog import InMemoryBackupCatalog
from tests.support.clock import FakeClock
from tests.support.factories import BackupSummaryFactory
from tests.support.sessions import Wiring
from tests.support.vault_cases import SMALL_ID, folder_vault, write_small

TTL = timedelta(minutes=5)


@pytest.fixture
def service(tmp_path: Path) -> tuple[SessionLifecycle, FakeClock, str]:
    _, spec = write_small(tmp_path, encrypted=True)
    summary = BackupSummaryFactory.build(
        id=SMALL_ID, is_encrypted=True, status=BackupStatus.READY, problem=None
    )
    clock = FakeClock()
    catalog = InMemoryBackupCatalog([CatalogedBackup(summary, "1")])
    wiring = Wiring(catalog, folder_vault(tmp_path), clock=clock, tokens=SecretsTokenSource(), ttl=TTL)
    unlocking = wiring.lifecycle()
    assert spec.passphrase is not None
    return unlocking, clock, spec.passphrase


async def _unlocked(unlocking: SessionLifecycle, passphrase: str) -> tuple[str, IosOpenBackup, Any]:
    token = (await unlocking.unlock(SMALL_ID, passphrase)).session_token
    opened = (await unlocking.resolve(SMALL_ID, token)).opened
    assert isinstance(opened, IosOpenBackup)
    assert opened.passphrase_key is not None
    keybag = opened._keys._keybag  # type: ignore[union-attr]  # iphone_backup_decrypt's object itself
    assert keybag.classes_keys
    return token, opened, keybag


def _forgotten(opened: IosOpenBackup, keybag: Any) -> bool:
    return opened.passphrase_key is None and not keybag.classes_keys and keybag.passphrase_key is None


async def test_lock_drops_the_keys(service: tuple[SessionLifecycle, FakeClock, str]) -> None:
    unlocking, _, passphrase = service
    token, opened, keybag = await _unlocked(unlocking, passphrase)
    await unlocking.lock(SMALL_ID, token)
    assert _forgotten(opened, keybag)


async def test_expiry_drops_the_keys_at_the_next_sweep(
    service: tuple[SessionLifecycle, FakeClock, str],
) -> None:
    unlocking, clock, passphrase = service
    _, opened, keybag = await _unlocked(unlocking, passphrase)
    clock.advance(TTL.total_seconds() + 1)
    assert await unlocking.end_expired() == 1
    assert _forgotten(opened, keybag)
