"""One filter's page of a time-ordered view: which ids, out of how many.

Pages within the first `head` matches come from a top-`head` query and a count (one scan each, no full
sort: what a first page costs); later pages from the filter's whole ordered ids, found once per database
and kept, so that they cost a slice. `q` filters the whole ids by case-folded text in Python."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Sequence

from ios_backup_api.adapters.apps.database import SqliteAppDatabase
from ios_backup_api.domain.views.pages import ViewQuery


def page_ids(
    db: SqliteAppDatabase,
    filters: tuple[Hashable, ...],
    query: ViewQuery,
    head: int,
    ordered: Callable[[int], array[int]],
    count: Callable[[], int],
    folded_texts: Callable[[], dict[int, str]],
) -> tuple[Sequence[int], int]:
    """(the page's ids, total). `ordered(limit)` gives the filter's ids in order (-1: all of them);
    `folded_texts()` every row's case-folded text by id (rows without text left out). Call inside `read`."""
    if not query.q and query.offset + query.limit <= head:
        ids = db.kept((*filters, "head"), lambda: ordered(head))
        total = db.kept((*filters, "count"), count)
    else:
        ids = db.kept(filters, lambda: ordered(-1))
        if query.q:
            needle = query.q.casefold()
            texts = db.kept((filters[0], "texts"), folded_texts)
            every = ids
            ids = db.kept(
                (*filters, needle), lambda: array("q", (i for i in every if needle in texts.get(i, "")))
            )
        total = len(ids)
    return ids[query.offset : query.offset + query.limit], total
