"""Passphrase guessing over HTTP: 5 free failures, then 429 with Retry-After, doubling to 60 s at most; the
rightful passphrase works once the wait is over; unlocks beyond the cap in flight are turned away at once."""

import asyncio
import shutil
import time
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


def test_unlocks_beyond_four_in_flight_are_answered_429_at_once(tmp_path: Path) -> None:
    slow = replace(encrypted_spec(), dpic_iterations=1_500_000)
    base = tmp_path / "slow"
    write_backup(base / "slow-0", slow, seed=5)
    for copy in range(1, 6):
        shutil.copytree(base / "slow-0", base / f"slow-{copy}")
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": API_TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
    }
    with running_server(env, tmp_path, tmp_path / "server.log") as server:
        results = asyncio.run(_six_unlocks_at_once(server.url))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 200, 200, 200, 429, 429]
    slowest_refusal = max(seconds for status, seconds in results if status == 429)
    fastest_unlock = min(seconds for status, seconds in results if status == 200)
    assert slowest_refusal < fastest_unlock, "the excess is answered at once, not queued"


async def _six_unlocks_at_once(url: str) -> list[tuple[int, float]]:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Token": API_TOKEN}, timeout=60) as client:

        async def unlock(name: str) -> tuple[int, float]:
            started = time.perf_counter()
            response = await client.post(f"/backups/{name}/unlock", json={"password": PASSPHRASE})
            return response.status_code, time.perf_counter() - started

        return await asyncio.gather(*(unlock(f"slow-{number}") for number in range(6)))
