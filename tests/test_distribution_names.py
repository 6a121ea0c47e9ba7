"""The project installs one import package, `ios_backup_api`, and nothing else at the top level."""

import subprocess
import zipfile
from pathlib import Path

from tests.support.wheel import IMPORT_PACKAGE, top_level_names


def test_the_wheel_holds_exactly_one_top_level_import_package(wheel: Path) -> None:
    names = top_level_names(wheel)
    packages = {name for name in names if not name.endswith(".dist-info")}
    assert packages == {IMPORT_PACKAGE}, names


def test_the_wheel_carries_the_migrations_and_no_test_fakes(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        files = set(archive.namelist())
    migrations = f"{IMPORT_PACKAGE}/adapters/sql/migrations"
    assert {f"{migrations}/env.py", f"{migrations}/script.py.mako", f"{IMPORT_PACKAGE}/py.typed"} <= files
    assert any(name.startswith(f"{migrations}/versions/0001_") for name in files)
    assert not [name for name in files if name.startswith(("tests/", f"{IMPORT_PACKAGE}/tests/"))]
    assert not [
        name for name in files if "fakes" in name or (name.endswith("/memory.py") and "vault" in name)
    ]
    assert not [name for name in files if "__pycache__" in name or name.endswith(".pyc")]


def test_the_installed_script_runs_from_the_wheel(wheel_script: Path) -> None:
    where = f"import {IMPORT_PACKAGE}; print({IMPORT_PACKAGE}.__file__)"
    found = subprocess.run(
        [wheel_script.with_name("python"), "-c", where],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert found.startswith(str(wheel_script.parents[1])), found
