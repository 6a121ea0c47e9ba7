"""A listing's entries as JSON lines written by SQLite, from the kept names (see paged_manifest) and the
decoded records (see manifest_records): each line the ManifestEntry of docs/API.md, with no Python per
entry, where building each entry and its JSON in Python is most of what a listing of every row costs.

SQLite writes a line only for a row whose values it writes as the Python path does: names that are text, the
record's integers integers, a time from 1970 to 9999. The line of any other row is NULL, and so is the run's
(see `written`): its entries are then built in Python, as for a page. A name that is not UTF-8 is caught
after, as the run's bytes are checked.
"""

from ios_backup_api.adapters.vault.kinds import kind_name_sql
from ios_backup_api.adapters.vault.manifest_queries import MAX_PAGE_BYTES

_MICROSECONDS = 1_000_000
_LAST_TIME = 253_402_300_800 * _MICROSECONDS  # 10000-01-01T00:00:00Z
_INTEGER_OR_NULL = "IN ('integer', 'null')"
MAX_LINE_BYTES = 8192
"""A run of a page's size is then 8 MiB at most, as a page's rows are (see manifest_queries.MAX_PAGE_BYTES):
a run with a longer line is a page's, built and bounded as one."""


def line_sql(entry: str, record: str) -> str:
    """The JSON line (newline-ended) of a kept row `entry` (its alias, as `e.`) and its decoded
    record `record` (as `d.`); NULL when SQLite can't write it as the Python path would."""
    e, d = entry, record
    kind = kind_name_sql(f"{e}flags", f"{d}mode")
    seconds = f"strftime('%Y-%m-%dT%H:%M:%S', {d}modified / {_MICROSECONDS}, 'unixepoch')"
    fraction = f"{d}modified % {_MICROSECONDS}"
    # As msgspec writes a UTC time: `Z`, and six digits of fraction unless it is 0.
    time = f"{seconds} || CASE WHEN {fraction} = 0 THEN 'Z' ELSE printf('.%06dZ', {fraction}) END"
    fields = ", ".join(
        (
            f"'file_id', {e}fileID",
            f"'domain', {e}domain",
            f"'relative_path', {e}relativePath",
            f"'kind', {kind}",
            f"'size', {d}size",
            f"'mode', {d}mode",
            f"'modified_at', CASE WHEN {d}modified IS NOT NULL THEN {time} END",
            f"'protection_class', {d}protection",
            f"'link_target', CASE WHEN ({kind}) = 'symlink' THEN CAST({d}target AS TEXT) END",
        )
    )
    writable = " AND ".join(
        (
            *(f"typeof({e}{name}) = 'text'" for name in ("fileID", "domain", "relativePath")),
            *(f"typeof({d}{name}) {_INTEGER_OR_NULL}" for name in ("size", "mode", "protection")),
            f"({d}modified IS NULL OR (typeof({d}modified) = 'integer'"
            f" AND {d}modified >= 0 AND {d}modified < {_LAST_TIME}))",
            f"typeof({d}target) IN ('blob', 'null')",
        )
    )
    return f"CASE WHEN {writable} THEN json_object({fields}) || char(10) END"


def run_sql(source: str, line: str, weight: str) -> str:
    """How many rows `source` has (a FROM clause of `e.` rows, its positions `e.rowid`), how many of them
    have a `line` of `MAX_LINE_BYTES` bytes at most, what they `weight` (as a page weighs its rows), and the
    run of those lines in the order of the positions: as one value, written without the interpreter (a row
    at a time, the thread would take it back for each row). The ordered subquery is read as a co-routine, in
    its order: an ORDER BY in the aggregate would sort the run once more (twice the time)."""
    # Its bytes (`length` of text counts characters): four times as many, in a line of emoji.
    bounded = f"CASE WHEN length(CAST(line AS BLOB)) <= {MAX_LINE_BYTES} THEN line END"
    return (
        f"SELECT count(*), count({bounded}), coalesce(sum(weight), 0),"  # noqa: S608
        f" CAST(group_concat({bounded}, '') AS BLOB)"
        f" FROM (SELECT {line} AS line, {weight} AS weight {source} ORDER BY e.rowid)"
    )


def written(rows: int, lines: int, weight: int, run: bytes | None) -> bytes | None:
    """The `run` of the `lines` SQLite wrote for `rows` rows of that `weight`; None when it could not write
    one of them, one holds what is not UTF-8 (a name whose bytes the Python path shows with U+FFFD), or they
    weigh more than a page may (which the page then refuses, as it refuses the same rows held in memory)."""
    if lines != rows or run is None or weight > MAX_PAGE_BYTES:
        return None
    try:
        run.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return run
