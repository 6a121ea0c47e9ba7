"""Guessing a passphrase on several instances of one PostgreSQL: the failures count once for all of them,
the wait they earn holds on every instance and across restarts, and only for the backup guessed at."""

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, write_samples
from tests.support.cluster import Cluster
from tests.support.server import RunningServer

pytestmark = pytest.mark.postgres
TOKEN = "shared-throttle-api-token-0123456789"
HEADERS = {"X-API-Token": TOKEN}
WRONG = "not the passphrase"
FREE_FAILURES = 5
DELAY_SECONDS = 600
OTHER_ID = "copy-of-the-encrypted-backup"


@pytest.fixture(scope="module")
def samples_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shared-throttle-samples")
    write_samples(root)
    return root


@pytest.fixture
def base(samples_root: Path, tmp_path: Path) -> Path:
    base = tmp_path / "backups"
    shutil.copytree(samples_root, base)
    shutil.copytree(base / ENCRYPTED_ID, base / OTHER_ID)
    return base


@pytest.fixture
def cluster(base: Path, fresh_postgres_url: str, tmp_path: Path) -> Iterator[Cluster]:
    limits = {
        "IOS_BACKUP_UNLOCK__FREE_ATTEMPTS": str(FREE_FAILURES),
        # Far longer than the test: a wait still in force after a restart was kept, not earned again.
        "IOS_BACKUP_UNLOCK__FIRST_DELAY_SECONDS": str(DELAY_SECONDS),
        "IOS_BACKUP_UNLOCK__MAX_DELAY_SECONDS": str(DELAY_SECONDS),
    }
    with ExitStack() as stack:
        yield Cluster(base, fresh_postgres_url, tmp_path, stack, TOKEN, limits)


def _two(cluster: Cluster, stack: ExitStack) -> tuple[RunningServer, RunningServer]:
    return cluster.start(stack), cluster.start(stack)


def _unlock(server: RunningServer, password: str, backup_id: str = ENCRYPTED_ID) -> httpx.Response:
    return httpx.post(
        f"{server.url}/backups/{backup_id}/unlock", json={"password": password}, headers=HEADERS, timeout=30
    )


def _assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["retry-after"]) <= DELAY_SECONDS


def _use_up_the_free_failures(first: RunningServer, second: RunningServer) -> None:
    for attempt in range(FREE_FAILURES):
        response = _unlock(first if attempt % 2 == 0 else second, WRONG)
        assert response.status_code == 400, (attempt, response.text)


def test_failures_on_two_instances_add_up_and_the_wait_outlives_a_restart(cluster: Cluster) -> None:
    with ExitStack() as first_run:
        first, second = _two(cluster, first_run)
        _use_up_the_free_failures(first, second)
        for server in (first, second):
            _assert_throttled(_unlock(server, WRONG))
        for server in (first, second):
            _assert_throttled(_unlock(server, PASSPHRASE))

    with ExitStack() as second_run:
        for server in _two(cluster, second_run):
            _assert_throttled(_unlock(server, PASSPHRASE))


def test_the_wait_holds_only_for_the_backup_guessed_at(cluster: Cluster) -> None:
    first, second = cluster.start(), cluster.start()
    _use_up_the_free_failures(first, second)
    _assert_throttled(_unlock(first, WRONG))

    assert _unlock(second, WRONG, OTHER_ID).status_code == 400
    unlocked = _unlock(first, PASSPHRASE, OTHER_ID)
    assert unlocked.status_code == 200, unlocked.text
    _assert_throttled(_unlock(second, PASSPHRASE))
