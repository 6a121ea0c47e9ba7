"""Loaded by a server process whose PYTHONPATH names this folder: every stat, open or listing of a path
under $HUNG_PATH_FOR_TESTS blocks forever, as on a hung disk or network mount."""

import os
import threading

_HUNG = os.environ.get("HUNG_PATH_FOR_TESTS")
_NEVER = threading.Event()


def _hanging(real):  # type: ignore[no-untyped-def]
    def call(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(path, str | bytes | os.PathLike) and os.fsdecode(os.fspath(path)).startswith(_HUNG):
            _NEVER.wait()
        return real(path, *args, **kwargs)

    return call


if _HUNG:
    for _name in ("stat", "lstat", "open", "scandir", "listdir"):
        setattr(os, _name, _hanging(getattr(os, _name)))
