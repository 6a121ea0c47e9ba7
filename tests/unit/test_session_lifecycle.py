import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from ios_backup_api.adapters.sessions.memory import InMemorySessionStore
from ios_backup_api.domain.backups import BackupStatus, CatalogedBackup
from ios_backup_api.domain.errors import (
    BackupNotFoundError,
    BackupUnreadableError,
    ForeignSessionError,
    SessionRequiredError,
    TooManyAttemptsError,
    TooManySessionsError,
    WrongPassphraseError,
)
from ios_backup_api.domain.manifest import EntryKind, FileQuery, ManifestEntry
from ios_backup_api.domain.services.throttle import ThrottlePolicy
from ios_backup_api.domain.sessions import SessionLimits, token_hash
from tests.fakes.catalog import InMemoryBackupCatalog
from tests.fakes.vault import InMemoryBackupVault
from tests.support.clock import FakeClock
from tests.support.factories import BackupSummaryFactory
from tests.support.sessions import Wiring

TTL = timedelta(minutes=10)


def _entry(path: str) -> ManifestEntry:
    return ManifestEntry("a" * 40, "HomeDomain", path, EntryKind.FILE, 1, 0o100644, None, 3, None)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.sessions = InMemorySessionStore()
        self.vault = InMemoryBackupVault()
        self.catalog = InMemoryBackupCatalog(
            [
                CatalogedBackup(
                    BackupSummaryFactory.build(
                        id="enc", is_encrypted=True, status=BackupStatus.READY, problem=None
                    ),
                    "1",
                ),
                CatalogedBackup(
                    BackupSummaryFactory.build(
                        id="plain", is_encrypted=False, status=BackupStatus.READY, problem=None
                    ),
                    "1",
                ),
                CatalogedBackup(
                    BackupSummaryFactory.build(
                        id="bad", status=BackupStatus.UNREADABLE, problem="Manifest.db is missing."
                    ),
                    "1",
                ),
            ]
        )
        self.vault.add_backup("enc", "secret", [(_entry("a.txt"), b"a")])
        self.vault.add_backup("plain", None, [(_entry("b.txt"), b"b")])
        self.wiring = Wiring(
            self.catalog,
            self.vault,
            store=self.sessions,
            clock=self.clock,
            ttl=TTL,
            policy=ThrottlePolicy(free_attempts=2),
        )
        self.service = self.wiring.lifecycle()


@pytest.fixture
def world() -> World:
    return World()


async def test_unlock_issues_a_token_of_which_only_a_hash_is_kept(world: World) -> None:
    unlocked = await world.service.unlock("enc", "secret")
    assert unlocked.ttl_seconds == 600
    assert await world.sessions.get(unlocked.session_token) is None
    stored = await world.sessions.get(token_hash(unlocked.session_token))
    assert stored is not None
    assert stored.backup_id == "enc"


async def test_unlock_refuses_unknown_unreadable_and_wrong_passphrases(world: World) -> None:
    with pytest.raises(BackupNotFoundError):
        await world.service.unlock("nope", "x")
    with pytest.raises(BackupUnreadableError, match=r"Manifest\.db is missing"):
        await world.service.unlock("bad", "x")
    with pytest.raises(WrongPassphraseError):
        await world.service.unlock("enc", "wrong")
    with pytest.raises(WrongPassphraseError):
        await world.service.unlock("enc", None)
    with pytest.raises(WrongPassphraseError):
        await world.service.unlock("enc", "x" * 1025)


async def test_an_unencrypted_backup_needs_no_passphrase(world: World) -> None:
    unlocked = await world.service.unlock("plain", None)
    session = await world.service.resolve("plain", unlocked.session_token)
    assert session.backup_id == "plain"


async def test_resolve_checks_backup_then_session_then_ownership(world: World) -> None:
    token = (await world.service.unlock("enc", "secret")).session_token
    other = (await world.service.unlock("plain", None)).session_token
    with pytest.raises(BackupNotFoundError):
        await world.service.resolve("nope", token)
    with pytest.raises(BackupNotFoundError):
        await world.service.resolve("nope", None)
    with pytest.raises(SessionRequiredError):
        await world.service.resolve("enc", None)
    with pytest.raises(SessionRequiredError):
        await world.service.resolve("enc", "unknown")
    with pytest.raises(ForeignSessionError):
        await world.service.resolve("enc", other)
    assert (await world.service.resolve("enc", token)).backup_id == "enc"


async def test_a_session_expires_after_its_idle_lifetime_and_use_keeps_it_alive(world: World) -> None:
    token = (await world.service.unlock("enc", "secret")).session_token
    world.clock.advance(500)
    await world.service.resolve("enc", token)
    world.clock.advance(500)
    await world.service.resolve("enc", token)
    world.clock.advance(601)
    with pytest.raises(SessionRequiredError):
        await world.service.resolve("enc", token)
    assert await world.sessions.get(token_hash(token)) is None


async def test_lock_is_idempotent_and_ends_the_session(world: World) -> None:
    token = (await world.service.unlock("enc", "secret")).session_token
    other = (await world.service.unlock("plain", None)).session_token
    with pytest.raises(SessionRequiredError):
        await world.service.lock("enc", None)
    with pytest.raises(ForeignSessionError):
        await world.service.lock("enc", other)
    with pytest.raises(BackupNotFoundError):
        await world.service.lock("nope", token)
    await world.service.lock("enc", token)
    await world.service.lock("enc", token)
    await world.service.lock("enc", "never-issued")
    with pytest.raises(SessionRequiredError):
        await world.service.resolve("enc", token)


async def test_ending_sessions_of_removed_backups_and_expired_ones(world: World) -> None:
    enc = (await world.service.unlock("enc", "secret")).session_token
    plain = (await world.service.unlock("plain", None)).session_token
    await world.service.backups_removed(["plain"])
    with pytest.raises(SessionRequiredError):
        await world.service.resolve("plain", plain)
    world.clock.advance(601)
    assert await world.service.end_expired() == 1
    assert await world.sessions.get(token_hash(enc)) is None


async def test_repeated_wrong_passphrases_are_throttled_and_the_owner_gets_back_in(world: World) -> None:
    for _ in range(2):
        with pytest.raises(WrongPassphraseError):
            await world.service.unlock("enc", "guess")
    with pytest.raises(TooManyAttemptsError) as raised:
        await world.service.unlock("enc", "secret")
    assert raised.value.retry_after_seconds >= 1
    world.clock.advance(raised.value.retry_after_seconds)
    await world.service.unlock("enc", "secret")
    await world.service.unlock("plain", None)


async def test_unlocks_still_running_count_so_one_beyond_the_free_attempts_is_refused_at_once(
    world: World,
) -> None:
    release = asyncio.Event()
    original_open = world.vault.open

    async def slow_open(backup_id: str, passphrase: str | None):  # type: ignore[no-untyped-def]
        await release.wait()
        return await original_open(backup_id, passphrase)

    world.vault.open = slow_open  # type: ignore[method-assign]
    pending = [asyncio.create_task(world.service.unlock("enc", "secret")) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(TooManyAttemptsError, match="or still running"):
        await world.service.unlock("enc", "secret")
    release.set()
    assert len(await asyncio.gather(*pending)) == 2
    await world.service.unlock("enc", "secret")  # their success cleared the count


async def test_a_second_instance_on_the_same_store_serves_the_session_without_the_passphrase(
    world: World,
) -> None:
    token = (await world.service.unlock("enc", "secret")).session_token
    other_instance = world.wiring.lifecycle()
    session = await other_instance.resolve("enc", token)
    assert session.opened.passphrase_key is not None
    page = await session.opened.files(FileQuery())
    assert [entry.relative_path for entry in page.items] == ["a.txt"]
    await other_instance.lock("enc", token)
    with pytest.raises(SessionRequiredError):
        await world.service.resolve("enc", token)


async def test_the_stored_record_holds_no_usable_key(world: World) -> None:
    token = (await world.service.unlock("enc", "secret")).session_token
    record = await world.sessions.get(token_hash(token))
    assert record is not None
    assert record.sealed_key is not None
    key = (await world.service.resolve("enc", token)).opened.passphrase_key
    assert key is not None
    assert key not in record.sealed_key
    assert token.encode() not in record.sealed_key


async def test_lock_forgets_the_keys_of_the_handle(world: World) -> None:
    token = (await world.service.unlock("enc", "secret")).session_token
    opened = (await world.service.resolve("enc", token)).opened
    await world.service.lock("enc", token)
    assert opened.passphrase_key is None


async def test_the_app_databases_of_a_backup_are_dropped_with_its_last_session_here(world: World) -> None:
    first = (await world.service.unlock("enc", "secret")).session_token
    second = (await world.service.unlock("enc", "secret")).session_token
    plain = (await world.service.unlock("plain", None)).session_token
    for backup_id, token in (("enc", first), ("enc", second), ("plain", plain)):
        await world.service.resolve(backup_id, token)
    databases = world.wiring.databases
    await world.service.lock("enc", first)
    assert databases.forgotten == []
    await world.service.lock("enc", second)
    assert databases.forgotten == ["enc"]
    world.clock.advance(601)
    await world.service.end_expired()
    assert databases.forgotten == ["enc", "plain"]


async def test_expiry_forgets_the_keys_of_the_handle(world: World) -> None:
    token = (await world.service.unlock("enc", "secret")).session_token
    opened = (await world.service.resolve("enc", token)).opened
    world.clock.advance(601)
    await world.service.end_expired()
    assert opened.passphrase_key is None


async def test_unlocks_past_the_caps_on_live_sessions_are_refused_before_any_derivation(world: World) -> None:
    capped = replace(world.wiring, limits=SessionLimits(max_live=3, max_live_per_backup=2)).lifecycle()
    tokens = [(await capped.unlock("enc", "secret")).session_token for _ in range(2)]
    with pytest.raises(TooManySessionsError, match="This backup has already 2 live") as raised:
        await capped.unlock("enc", "wrong")  # refused before the passphrase is tried: no failure counted
    assert raised.value.retry_after_seconds == 60
    await capped.unlock("plain", None)
    with pytest.raises(TooManySessionsError, match="The service has already 3 live"):
        await capped.unlock("plain", None)
    await capped.lock("enc", tokens[0])
    await capped.unlock("plain", None)
    world.clock.advance(601)
    await capped.unlock("enc", "secret")  # expired sessions leave room, swept or not
