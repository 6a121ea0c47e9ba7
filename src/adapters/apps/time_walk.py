"""sms.db's messages in the order of their times, read from the stored order of `date` (which sms.db's index
on it serves): a first page, or the newest message of each chat, reads its own rows and few more instead of
computing and sorting every message's time.

A `date` is nanoseconds since 2001 when it is an integer of at least 10**11 in size, else seconds (see
`from_apple_time`). Within each kind the stored values order as their times do, so each kind is read in the
stored order (lazily, a batch at a time) and the kinds are merged by time; rows without a time are found by
ranges of the same order. The times are the records' own (`from_apple_time`), so the order is theirs.

The SQL is put together from constant pieces and a column and table name the caller checked (`noqa: S608`).
"""

import heapq
import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime

from ios_backup_api.domain.views.apple_time import SECONDS_HELD, from_apple_time

_NANOSECONDS_FROM = 10**11
_EARLIEST, _FARTHEST = SECONDS_HELD
_BATCH = 256

Timed = tuple[datetime, int, object]
"""A row's time, its id, and the value of the caller's `extra` expression."""


def _nanoseconds(column: str, newest_first: bool) -> tuple[str, ...]:
    """The nanosecond counts' ranges, in the order of their times (negative ones are all before 2001)."""
    ranges = (f"{column} <= -{_NANOSECONDS_FROM}", f"{column} >= {_NANOSECONDS_FROM}")
    kinds = tuple(f"{where} AND typeof({column}) = 'integer'" for where in ranges)
    return kinds[::-1] if newest_first else kinds


def _seconds(column: str) -> str:
    """The seconds a calendar holds (a large integer among them is nanoseconds)."""
    big = f"typeof({column}) = 'integer' AND {column} >= {_NANOSECONDS_FROM}"
    return f"{column} > {_EARLIEST} AND {column} < {_FARTHEST} AND NOT ({big})"


def _undated(column: str) -> tuple[str, ...]:
    """The values `from_apple_time` makes no time of, as ranges of the stored order: NULL; numbers before
    the earliest second (but the nanosecond counts); reals past the farthest; text and blobs (above every
    number in SQLite's order, as `''` is)."""
    nanoseconds_before = f"typeof({column}) = 'integer' AND {column} <= -{_NANOSECONDS_FROM}"
    return (
        f"{column} IS NULL",
        f"{column} <= {_EARLIEST} AND NOT ({nanoseconds_before})",
        f"{column} >= {_FARTHEST} AND typeof({column}) = 'real'",
        f"{column} >= ''",
    )


class TimeWalk:
    """The rows of `table` by the Apple time in `column` (both checked names), `id_column` their id."""

    def __init__(self, connection: sqlite3.Connection, table: str, column: str, id_column: str) -> None:
        self.connection, self.table, self.column, self.id_column = connection, table, column, id_column

    def undated(self) -> list[int]:
        """The ids of the rows without a time, ascending."""
        found: set[int] = set()
        for where in _undated(self.column):
            sql = f"SELECT {self.id_column} FROM {self.table} WHERE {where}"  # noqa: S608
            found.update(pk for (pk,) in self.connection.execute(sql))
        return sorted(found)

    def dated(self, *, newest_first: bool, extra: str = "NULL") -> Iterator[Timed]:
        """The rows with a time, newest or oldest first, ties by id ascending; `extra` an SQL expression
        over the row, read beside it."""
        order = "DESC" if newest_first else ""
        nanoseconds = itertools.chain.from_iterable(
            self._rows(where, order, extra) for where in _nanoseconds(self.column, newest_first)
        )
        seconds = self._rows(_seconds(self.column), order, extra)
        merged = heapq.merge(nanoseconds, seconds, key=lambda row: row[0], reverse=newest_first)
        for _, tied in itertools.groupby(merged, key=lambda row: row[0]):
            yield from sorted(tied, key=lambda row: row[1])  # one time from several stored values

    def _rows(self, where: str, order: str, extra: str) -> Iterable[Timed]:
        column, pk = self.column, self.id_column
        cursor = self.connection.execute(
            f"SELECT {column}, {pk}, {extra} FROM {self.table} "  # noqa: S608
            f"WHERE {where} ORDER BY {column} {order}, {pk} {order}"
        )
        try:
            while batch := cursor.fetchmany(_BATCH):
                for value, pk_value, extra_value in batch:
                    moment = from_apple_time(value)
                    if moment is not None:  # every value of these ranges has one
                        yield moment, pk_value, extra_value
        finally:
            cursor.close()
