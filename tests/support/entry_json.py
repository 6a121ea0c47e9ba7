"""A listing's entries as the JSON a client reads: what a page's items encode to (the HTTP layer's
ManifestEntryOut, the reference), and what a run of JSON lines decodes to."""

import json
from typing import Any

import msgspec

from ios_backup_api.domain.manifest import EntryRun, ManifestEntry
from ios_backup_api.entrypoints.http.schemas import ManifestEntryOut


def entries_json(entries: list[ManifestEntry]) -> list[Any]:
    return [json.loads(msgspec.json.encode(ManifestEntryOut.of(entry))) for entry in entries]


def lines_json(lines: bytes) -> list[Any]:
    """Each line of `lines` parsed by the standard library's reader; every line ends with a newline."""
    assert lines == b"" or lines.endswith(b"\n"), "the last line is ended too"
    return [json.loads(line) for line in lines.split(b"\n")[:-1]]


def run_json(run: EntryRun) -> list[Any]:
    found = entries_json(run.items) if run.lines is None else lines_json(run.lines)
    assert len(found) == run.count
    return found
