"""mvt in a virtual environment of its own under bench/.data: it pins an iphone_backup_decrypt older than the
service's, so it can't share the project's. Made once (from PyPI, at the version named here), then reused,
by smoke runs too: a peer that can't be installed stops the benchmark with pip's reason."""

import subprocess
import sys
from pathlib import Path

from common.data import DATA_ROOT

MVT_REQUIREMENT = "mvt==2026.10.26"
_VENV = DATA_ROOT / f"venv-{MVT_REQUIREMENT.replace('==', '-')}"
_DONE = _VENV / "installed"
"""Written once pip has finished, so an interrupted install is made again."""


def _installed() -> Path:
    if not _DONE.exists():
        print(f"installing {MVT_REQUIREMENT} into {_VENV} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(_VENV)], check=True)
        pip = [str(_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", MVT_REQUIREMENT]
        done = subprocess.run(pip, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"{MVT_REQUIREMENT} could not be installed into {_VENV}: {done.stderr[-3000:]}"
            )
        _DONE.write_text(MVT_REQUIREMENT + "\n")
    return _VENV


def mvt_ios() -> Path:
    """The `mvt-ios` command."""
    return _installed() / "bin" / "mvt-ios"


def mvt_python() -> Path:
    """The interpreter that has mvt (to run bench/common/peer_run.py with)."""
    return _installed() / "bin" / "python"
