"""PostgreSQL going away, for real: stopped and started again inside the test.

At start the service waits (retrying with doubling delays) for the database, then gives up with one clear
line. While running, /readyz and the catalog's routes answer 503 with a clear detail, unlocked sessions keep
browsing and streaming, and everything recovers on its own once the database is back.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup
from ios_backup_api.entrypoints.app import create_app
from ios_backup_api.entrypoints.startup import DatabaseWait
from tests.e2e.conftest import API_TOKEN, settings_for
from tests.support.backups import ENCRYPTED_ID, PASSPHRASE, PLAIN_ID, regular_files, write_samples
from tests.support.postgres import PostgresServer, free_port

pytestmark = pytest.mark.postgres
Client = AsyncTestClient  # type: ignore[type-arg]
RECOVERY_SECONDS = 10


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, SyntheticBackup]]:
    root = tmp_path_factory.mktemp("samples")
    return root, write_samples(root)


@pytest.fixture
def base_path(sample_root: tuple[Path, dict[str, SyntheticBackup]]) -> Path:
    return sample_root[0]


@pytest.fixture
def samples(sample_root: tuple[Path, dict[str, SyntheticBackup]]) -> dict[str, SyntheticBackup]:
    return sample_root[1]


@pytest.fixture
def service_log() -> Iterator[_Lines]:
    handler = _Lines()
    logger = logging.getLogger("ios_backup_api")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _assert_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status_code"] == 503
    assert body["detail"].startswith("The catalog database failed while "), body
    assert "Traceback" not in response.text


async def test_while_postgres_is_down_catalog_routes_are_503_sessions_keep_working_then_all_recovers(
    postgres_server: PostgresServer,
    fresh_postgres_url: str,
    base_path: Path,
    samples: dict[str, SyntheticBackup],
    service_log: _Lines,
) -> None:
    big = max(regular_files(samples[ENCRYPTED_ID]), key=lambda file: file.size)
    app = create_app(settings_for(base_path, fresh_postgres_url))
    async with AsyncTestClient(app) as client:
        client.headers["X-API-Token"] = API_TOKEN
        unlocked = await client.post(f"/backups/{ENCRYPTED_ID}/unlock", json={"password": PASSPHRASE})
        session = {"X-Backup-Session": unlocked.json()["session_token"]}
        spare = (await client.post(f"/backups/{PLAIN_ID}/unlock", json={})).json()["session_token"]
        assert (await client.get("/readyz")).status_code == 200

        postgres_server.stop()
        try:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json() == {
                "status": "unavailable",
                "database": "The catalog database failed while answering a ping: connection refused",
            }
            _assert_503(await client.get("/backups"))
            _assert_503(await client.post("/backups/refresh"))
            _assert_503(await client.post(f"/backups/{PLAIN_ID}/unlock", json={}))
            assert (await client.get("/healthz")).status_code == 200

            files = await client.get(f"/backups/{ENCRYPTED_ID}/files", headers=session)
            assert files.status_code == 200
            assert files.json()["total"] == len(samples[ENCRYPTED_ID].all_entries())
            assert (await client.get(f"/backups/{ENCRYPTED_ID}/domains", headers=session)).status_code == 200
            download = await client.get(f"/backups/{ENCRYPTED_ID}/file/{big.file_id}", headers=session)
            assert download.status_code == 200
            assert download.content == big.read_bytes()
            ranged = await client.get(
                f"/backups/{ENCRYPTED_ID}/file/{big.file_id}", headers={**session, "Range": "bytes=-100"}
            )
            assert (ranged.status_code, ranged.content) == (206, big.read_bytes()[-100:])
            locked = await client.post(f"/backups/{PLAIN_ID}/lock", headers={"X-Backup-Session": spare})
            assert locked.status_code == 204
        finally:
            postgres_server.start()

        back = time.monotonic()
        while (await client.get("/readyz")).status_code != 200:
            assert time.monotonic() < back + RECOVERY_SECONDS, "the service did not recover on its own"
            await asyncio.sleep(0.1)
        print(f"\noutage: ready again {time.monotonic() - back:.2f} s after PostgreSQL accepted connections")
        assert (await client.get("/readyz")).json() == {"status": "ok", "database": "ok"}
        assert (await client.get("/backups")).status_code == 200
        assert (await client.post(f"/backups/{PLAIN_ID}/unlock", json={})).status_code == 200
        assert (await client.get(f"/backups/{ENCRYPTED_ID}/files", headers=session)).status_code == 200
    warnings = [line for line in service_log.lines if line.startswith("WARNING") and "answered 503" in line]
    assert len(warnings) == 3, "each 503 is logged in one line"


async def test_a_start_waits_for_postgres_to_come_back(
    postgres_server: PostgresServer, fresh_postgres_url: str, base_path: Path, service_log: _Lines
) -> None:
    app = create_app(settings_for(base_path, fresh_postgres_url), database_wait=DatabaseWait(30, 0.2, 0.5))
    postgres_server.stop()
    comeback = threading.Timer(1.5, postgres_server.start)  # the test client starts the app synchronously
    comeback.start()
    started = time.monotonic()
    try:
        async with AsyncTestClient(app) as client:
            assert time.monotonic() - started >= 1.5
            client.headers["X-API-Token"] = API_TOKEN
            assert len((await client.get("/backups")).json()["backups"]) == 2
    finally:
        comeback.join()
        postgres_server.start()
    retries = [line for line in service_log.lines if "The catalog database is not answering" in line]
    assert len(retries) >= 2


async def test_a_start_gives_up_with_one_clear_line_when_postgres_never_answers(
    base_path: Path, service_log: _Lines
) -> None:
    url = f"postgresql+asyncpg://ios:secret-password@127.0.0.1:{free_port()}/nowhere"
    app = create_app(settings_for(base_path, url), database_wait=DatabaseWait(1.5, 0.2, 0.5))
    started = time.monotonic()
    with pytest.raises(BaseException) as raised:  # noqa: PT011 - Litestar wraps it in a group
        async with AsyncTestClient(app):
            pass
    assert 1.5 <= time.monotonic() - started < 10
    assert "did not answer within 1.5 s" in repr(raised.value)
    [giving_up] = [line for line in service_log.lines if line.startswith("ERROR")]
    assert giving_up == (
        f"ERROR Giving up: the catalog database at postgresql+asyncpg://ios:***@127.0.0.1:{url.split(':')[3]}"
        " did not answer within 1.5 s (last error: The catalog database failed while upgrading the schema: "
        "connection refused). Check IOS_BACKUP_DATABASE__URL and that the database is running."
    )
    assert "secret-password" not in "\n".join(service_log.lines)
