"""Two unlocks of 10,000,000-iteration backups run while /healthz keeps answering (generous margins)."""

import asyncio
import shutil
import time
from dataclasses import replace
from pathlib import Path

import httpx

from ios_backup_api.adapters.backup_writer.writer import write_backup
from tests.support.backups import PASSPHRASE, encrypted_spec
from tests.support.server import running_server

TOKEN = "loop-free-token-0123456789abcdef"
REAL_DPIC = 10_000_000


def test_healthz_answers_while_two_real_unlocks_run(tmp_path: Path) -> None:
    base = tmp_path / "backups"
    spec = replace(encrypted_spec(), dpic_iterations=REAL_DPIC, iter_iterations=10_000)
    write_backup(base / "one", spec, seed=5)
    shutil.copytree(base / "one", base / "two")
    env = {
        "HOME": str(tmp_path),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base),
    }
    with running_server(env, tmp_path, tmp_path / "server.log") as server:
        worst, unlock_seconds = asyncio.run(_unlock_twice_while_probing(server.url))
    print(
        f"\n/healthz worst latency during two unlocks: {worst * 1000:.1f} ms;",
        f"the unlocks took {unlock_seconds:.2f} s",
    )
    assert unlock_seconds > 0.5, "the unlocks really derived their keys"
    assert worst < 0.25


async def _unlock_twice_while_probing(url: str) -> tuple[float, float]:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Token": TOKEN}, timeout=60) as client:
        started = time.perf_counter()
        unlocks = asyncio.gather(
            *(
                client.post(f"/backups/{name}/unlock", json={"password": PASSPHRASE})
                for name in ("one", "two")
            )
        )
        worst = 0.0
        task = asyncio.ensure_future(unlocks)
        await asyncio.sleep(0.05)
        while not task.done():
            probe = time.perf_counter()
            assert (await client.get("/healthz")).status_code == 200
            worst = max(worst, time.perf_counter() - probe)
            await asyncio.sleep(0.02)
        responses = await task
        assert [response.status_code for response in responses] == [200, 200]
        return worst, time.perf_counter() - started
