"""The records of a manifest read page by page (see paged_manifest), decoded once after the unlock, so that a
page of entries is read from memory alone: no page of the file to decrypt, no archive to decode.

Decoding every record (an NSKeyedArchiver plist each) is most of what a listing costs; it is done by the
thread that built the order index, right after, a batch at a time while queries are answered. Until the last
batch is in, pages decode the records of their own rows, as before. The decoded fields are what a listing
shows of a record, kept exactly: the modification time in microseconds, a link's target as the bytes of its
text (a lone surrogate survives).
"""

import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ios_backup_api.adapters.vault.entries import listed_record
from ios_backup_api.adapters.vault.kinds import kind_of
from ios_backup_api.adapters.vault.manifest_queries import (
    LISTED,
    Completing,
    names_weight,
    record_of,
    weighed,
    write_all,
)
from ios_backup_api.adapters.vault.mbfile import FileRecord
from ios_backup_api.domain.manifest import EntryKind, ManifestEntry

RECORDS = "records.decoded"
DECODED = "d.size, d.mode, d.modified, d.protection, d.target"
"""The decoded fields, of `RECORDS` joined as `d`."""
DECODED_WEIGHT = "d.weight"
"""What the row's names and record weighed as the file holds them (see manifest_queries.weighed), or NULL
for a row not decoded: weighed once here, not again on every page. Not its flags, which the order index may
have settled since (see `KeptIndex.settle_kinds`)."""
_BATCH = 512  # rows a batch takes from the file at most; `_BATCH_SECONDS` ends its decoding sooner
_BATCH_BYTES = 1 << 20
"""Records a batch takes from the file at most (past its last row): a crafted manifest's records of
100 KiB each are read 10 at a time, not 512 (50 MiB) under the connection's lock."""
_BATCH_SECONDS = 0.002
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CREATE = f"CREATE TABLE {RECORDS} (id INTEGER PRIMARY KEY, size, mode, modified, protection, target, weight)"
_INSERT = f"INSERT INTO {RECORDS} VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - constant SQL
# The listed rows only (no other is ever shown), each with what its names and record weigh.
_WEIGHT = f"{names_weight(flags=False)} + {weighed('file', record=True)}"
_ROWS = f"SELECT rowid, {record_of('file', blobs=True)}, {_WEIGHT} FROM Files NOT INDEXED WHERE {LISTED}"  # noqa: S608


class DecodedRecords:
    def __init__(self) -> None:
        self.complete = False
        """Every row's record is decoded: pages read them (`entry`) instead of the file's."""

    def decode(self, work: Completing) -> None:
        """Decodes every row's record into `RECORDS`, a batch at a time under the connection's lock, each
        once `quiet()` returns (no query runs, or none has paused for a while: a batch is under a millisecond
        of the interpreter, which queries would otherwise wait for), and stops at once when `closing()` says
        so; then makes the connection query-only."""
        connection, lock, closing, quiet = work
        with lock:
            if closing():
                return
            connection.execute(_CREATE)
            rows = connection.execute(_ROWS)
        pending: deque[tuple[Any, ...]] = deque()
        while True:
            quiet()
            with lock:
                if closing():
                    return
                if not pending:
                    _take(rows, pending)
            if not pending:
                break
            decoded = _decoded(pending)
            with lock:
                if closing():
                    return
                write_all(connection, _INSERT, decoded)
        with lock:
            if not closing():
                connection.execute("PRAGMA query_only = ON")
                self.complete = True

    @staticmethod
    def entry(values: tuple[Any, ...]) -> ManifestEntry:
        """The entry of a kept row's names and flags (as bytes) and its decoded fields: `entry_of`'s, built
        without a FileRecord on the way (a listing of every row builds hundreds of thousands)."""
        file_id, domain, relative_path, flags, size, mode, modified, protection, target = values
        kind = kind_of(flags, mode)
        return ManifestEntry(
            file_id.decode("utf-8", "replace"),
            domain.decode("utf-8", "replace"),
            relative_path.decode("utf-8", "replace"),
            kind,
            size,
            mode,
            None if modified is None else _EPOCH + modified * _MICROSECOND,
            protection,
            target.decode("utf-8", "surrogatepass")
            if kind is EntryKind.SYMLINK and target is not None
            else None,
        )


def _take(rows: Iterator[tuple[Any, ...]], pending: deque[tuple[Any, ...]]) -> None:
    """Up to `_BATCH` rows (rowid, record, weight) from `rows` into `pending`, stopping once their records
    hold `_BATCH_BYTES`."""
    held = 0
    for row in rows:
        pending.append(row)
        held += len(row[1] or b"")
        if len(pending) >= _BATCH or held >= _BATCH_BYTES:
            return


def _decoded(pending: deque[tuple[Any, ...]]) -> list[tuple[object, ...]]:
    """Decodes rows from `pending` (rowid, record, weight) for `_BATCH_SECONDS` at most: a crafted record
    that only plistlib reads can take milliseconds, and a batch holds the interpreter while it decodes."""
    decoded: list[tuple[object, ...]] = []
    stop = time.perf_counter() + _BATCH_SECONDS
    while pending and (not decoded or time.perf_counter() < stop):
        rowid, file, weight = pending.popleft()
        decoded.append((rowid, *_fields(listed_record(file)), weight))
    return decoded


def _fields(record: FileRecord) -> tuple[object, ...]:
    size, mode, modified_at, protection, target, _ = record
    modified = None if modified_at is None else (modified_at - _EPOCH) // _MICROSECOND
    return (
        size,
        mode,
        modified,
        protection,
        None if target is None else target.encode("utf-8", "surrogatepass"),
    )


def _text(value: object) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
