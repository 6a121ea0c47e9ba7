"""The wheel users install, built from this checkout, and a fresh virtual environment that runs it."""

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
IMPORT_PACKAGE = "ios_backup_api"


def build_wheel(into: Path) -> Path:
    """`hatchling`'s PEP 517 hook, as pip would call it, run in a child process from the checkout."""
    name = subprocess.run(
        [sys.executable, "-c", "import sys, hatchling.build as b; print(b.build_wheel(sys.argv[1]))", into],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return into / name


def top_level_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name.split("/", 1)[0] for name in archive.namelist()}


def install_in_fresh_venv(wheel: Path, venv: Path) -> Path:
    """A new virtual environment with the wheel installed by pip (without its dependencies, which it reads
    from this environment's site-packages, not from the checkout); returns its `ios-backup-api` script."""
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # A plain path line: the directory is searched, but its own .pth files (our editable install's) are not
    # run, so `ios_backup_api` can only come from the wheel.
    Path(site, "dependencies-of-the-test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin" / "ios-backup-api"


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def wheel_script(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_in_fresh_venv(wheel, tmp_path_factory.mktemp("wheel-venv") / "venv")
