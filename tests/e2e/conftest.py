import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup
from ios_backup_api.entrypoints.app import create_app
from ios_backup_api.entrypoints.settings import Settings, load_settings
from tests.support.backups import write_samples

API_TOKEN = "test-api-token-0123456789abcdef"


def settings_for(base_path: Path, database_url: str, **more: str) -> Settings:
    """The app's settings for these tests; `more` adds variables, named without the IOS_BACKUP_ prefix."""
    return load_settings(
        {
            "IOS_BACKUP_SECURITY__API_TOKEN": API_TOKEN,
            "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base_path),
            "IOS_BACKUP_DATABASE__URL": database_url,
            **{f"IOS_BACKUP_{name}": value for name, value in more.items()},
        },
        dotenv=None,
    )


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, SyntheticBackup]]:
    root = tmp_path_factory.mktemp("samples")
    return root, write_samples(root)


@pytest.fixture
def samples(sample_root: tuple[Path, dict[str, SyntheticBackup]]) -> dict[str, SyntheticBackup]:
    return sample_root[1]


@pytest.fixture
def base_path(sample_root: tuple[Path, dict[str, SyntheticBackup]], tmp_path: Path) -> Path:
    """A private copy of the samples, so a test may add, break or remove folders."""
    base = tmp_path / "backups"
    shutil.copytree(sample_root[0], base)
    return base


@pytest.fixture
async def client(base_path: Path, tmp_path: Path) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    app = create_app(settings_for(base_path, f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"))
    async with AsyncTestClient(app) as test_client:
        test_client.headers["X-API-Token"] = API_TOKEN
        yield test_client
