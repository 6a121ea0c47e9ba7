"""Passphrase guessing over HTTP: 5 free failures, then 429 with Retry-After, doubling to 60 s at most; the
rightful passphrase works once the wait is over; attempts count as they start, under every name of a backup,
and a flood at one backup never turns away others' unlocks."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.domain.ports.clock import Clock
from ios_backup_api.entrypoints.app import create_app
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, encrypted_spec
from tests.support.clock import FakeClock
from tests.support.server import running_server

Client = AsyncTestClient  # type: ignore[type-arg]
UNLOCK = f"/backups/{ENCRYPTED_ID}/unlock"
FREE_FAILURES = 5
WRONG = "not the passphrase"


async def _guess(client: Client, password: str = WRONG) -> httpx.Response:
    return await client.post(UNLOCK, json={"password": password})


async def test_guesses_past_the_threshold_get_429_and_the_owner_gets_in_after_retry_after(
    client: Client,
) -> None:
    for _ in range(FREE_FAILURES):
        assert (await _guess(client)).status_code == 400
    refused = await _guess(client)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["status_code"] == 429
    assert (await _guess(client, PASSPHRASE)).status_code == 429, "the wait holds for the right one too"
    assert (await client.post(f"/backups/{PLAIN_ID}/unlock", json={})).status_code == 200, "per backup"
    await asyncio.sleep(int(refused.headers["retry-after"]) + 0.05)
    assert (await _guess(client, PASSPHRASE)).status_code == 200
    assert (await _guess(client)).status_code == 400, "a success starts the count afresh"


class _FakeClockProvider(Provider):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(scope=Scope.APP)
        self._clock = clock

    @provide(override=True)
    def clock(self) -> Clock:
        return self._clock


@pytest.fixture
async def clocked(base_path: Path, tmp_path: Path) -> AsyncIterator[tuple[Client, FakeClock]]:
    clock = FakeClock()
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"
    app = create_app(settings_for(base_path, url), _FakeClockProvider(clock))
    async with AsyncTestClient(app) as test_client:
        test_client.headers["X-API-Token"] = API_TOKEN
        yield test_client, clock


async def test_the_wait_doubles_to_a_minute_and_never_locks_the_owner_out_for_longer(
    clocked: tuple[Client, FakeClock],
) -> None:
    client, clock = clocked
    waits = []
    for _ in range(FREE_FAILURES):
        assert (await _guess(client)).status_code == 400
    for _ in range(12):  # a patient guesser who waits out every delay
        refused = await _guess(client)
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(waits[-1])
        assert (await _guess(client)).status_code == 400
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60]
    clock.advance(60)
    assert (await _guess(client, PASSPHRASE)).status_code == 200


def test_a_flood_of_guesses_across_aliases_derives_five_keys_and_others_unlocks_all_succeed(
    tmp_path: Path,
) -> None:
    slow = replace(encrypted_spec(), dpic_iterations=1_500_000)
    base = tmp_path / "slow"
    write_backup(base / "target", slow, seed=5)
    for alias in ALIASES[1:]:
        (base / alias).symlink_to(base / "target")
    for copy in OTHERS:
        shutil.copytree(base / "target", base / copy)
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": API_TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
    }
    with running_server(env, tmp_path, tmp_path / "server.log") as server:
        guesses, others, after = asyncio.run(_flood_beside_others(server.url))
    assert sorted(status for status, _ in guesses) == [400] * 5 + [429] * 3, (
        "5 derivations, whatever the name"
    )
    refusals = {detail for status, detail in guesses if status == 429}
    assert all("unlock attempts on this backup since its last success" in detail for detail in refusals)
    assert [status for status, _ in others] == [200] * len(OTHERS), "the flood holds one slot, never theirs"
    assert [status for status, _ in after] == [429] * len(ALIASES), "the wait holds under every name"


ALIASES = ("target", "alias-1", "alias-2")
OTHERS = ("other-1", "other-2", "other-3")
Outcome = tuple[int, str]


async def _flood_beside_others(url: str) -> tuple[list[Outcome], list[Outcome], list[Outcome]]:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Token": API_TOKEN}, timeout=120) as client:

        async def unlock(name: str, password: str) -> Outcome:
            response = await client.post(f"/backups/{name}/unlock", json={"password": password})
            return response.status_code, response.json().get("detail", "")

        flood = [unlock(ALIASES[number % len(ALIASES)], WRONG) for number in range(8)]
        rightful = [unlock(name, PASSPHRASE) for name in OTHERS]
        outcomes = await asyncio.gather(*flood, *rightful)
        after = [await unlock(name, WRONG) for name in ALIASES]
        return outcomes[:8], outcomes[8:], after
