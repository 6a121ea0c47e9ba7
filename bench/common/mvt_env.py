"""mvt in a virtual environment of its own under bench/.data: it pins an iphone_backup_decrypt older than the
service's, so it can't share the project's. Made once (from PyPI, at the version named here), then reused."""

import subprocess
import sys
from pathlib import Path

from common.data import DATA_ROOT

MVT_REQUIREMENT = "mvt==2026.10.26"
_VENV = DATA_ROOT / f"venv-{MVT_REQUIREMENT.replace('==', '-')}"


def mvt_ios(install: bool = True) -> Path | None:
    """The `mvt-ios` command, installed first when missing (None when missing and not to be installed: a
    smoke run, whose minute of installing would be most of its time)."""
    command = _VENV / "bin" / "mvt-ios"
    if not command.exists():
        if not install:
            return None
        print(f"installing {MVT_REQUIREMENT} into {_VENV} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(_VENV)], check=True)
        pip = [str(_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", MVT_REQUIREMENT]
        subprocess.run(pip, check=True)
    return command
