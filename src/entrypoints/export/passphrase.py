"""A backup's passphrase from a file, the environment or a prompt on the terminal: never from the command
line, where `ps` and the shell's history would show it."""

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ios_backup_api.entrypoints.export.problems import CommandError
from ios_backup_api.entrypoints.settings import PASSPHRASE_VARIABLE

MAX_PASSPHRASE_FILE_BYTES = 64 * 1024
PROMPTS = 3


@dataclass(frozen=True, slots=True)
class PassphraseSource:
    """`given` from `--password-file` or the environment, else None; `prompt` asks on the terminal (None
    when there is none)."""

    given: str | None
    prompt: Callable[[str], str] | None


def passphrase_source(
    password_file: Path | None, environ: Mapping[str, str] | None = None
) -> PassphraseSource:
    environ = os.environ if environ is None else environ
    if password_file is not None:
        given: str | None = _from_file(password_file)
    else:
        given = environ.get(PASSPHRASE_VARIABLE)
    prompt = getpass.getpass if sys.stdin.isatty() else None
    return PassphraseSource(given, prompt)


def _from_file(path: Path) -> str:
    """The file's text less one trailing newline (`\\n` or `\\r\\n`): the one an editor or `echo` adds."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PASSPHRASE_FILE_BYTES + 1)
    except OSError as error:
        raise CommandError(f"The password file {path} can't be read ({error.strerror}).") from None
    if len(data) > MAX_PASSPHRASE_FILE_BYTES:
        raise CommandError(f"The password file {path} is too large to hold a passphrase.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"The password file {path} is not UTF-8 text.") from None
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")
