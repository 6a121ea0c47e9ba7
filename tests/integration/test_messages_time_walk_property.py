"""The Messages views read from the stored order of `date` (the first pages of messages, every page of the
chats) against the oracle, on generated sms.db of any shape: dates of every kind SQLite holds (nanoseconds,
seconds as integers and reals, none, text, blobs, times no calendar holds), messages in several chats or in
none, joins to messages or chats that are not there, chats without messages, with the phone's indexes and
without them. Each database is asked a run of pages in an order that makes the kept order grow."""

import sqlite3
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ios_backup_api.adapters.apps import message_chats
from ios_backup_api.adapters.apps.messages import SqliteMessagesReader
from ios_backup_api.adapters.backup_writer.apps.messages import DATABASE, HOME, schema
from ios_backup_api.domain.views.pages import EntryRef, ViewQuery
from tests.support.app_databases import in_memory as loaded
from tests.support.app_oracles import messages as oracle
from tests.support.app_views import answer

SOURCE = EntryRef(HOME, DATABASE)
READERS = [SqliteMessagesReader(head=head) for head in (0, 3, 1000)]
PAGES = ((2, 0), (1, 2), (3, 1), (2, 4), (1000, 0), (2, 9), (5, 30))
_NANOSECOND_TIMES = st.integers(10**11, 2**63 - 1) | st.integers(-(2**63), -(10**11))
_DATES = st.one_of(
    st.none(),
    st.sampled_from([7 * 10**17, 7 * 10**17 + 999, 7 * 10**17 + 1000, 700_000_000, 700_000_000.0000004]),
    _NANOSECOND_TIMES,
    st.integers(-(10**11) + 1, 10**11 - 1),
    st.floats(allow_nan=False),
    st.floats(-1e12, 1e12),
    st.text(max_size=3),
    st.binary(max_size=3),
)
_MESSAGES = st.lists(st.tuples(_DATES, st.lists(st.integers(1, 7), max_size=3)), max_size=40)


def _database(
    messages: list[tuple[object, list[int]]], chats: int, orphans: list[int], indexed: bool
) -> bytes:
    connection = sqlite3.connect(":memory:")
    for statement in schema(18):
        if indexed or not statement.startswith("CREATE INDEX"):
            connection.execute(statement)
    for chat in range(1, chats + 1):
        connection.execute("INSERT INTO chat (ROWID, guid) VALUES (?, ?)", (chat, f"chat{chat}"))
    for rowid, (date, joined) in enumerate(messages, 1):
        connection.execute(
            "INSERT INTO message (ROWID, guid, date) VALUES (?, ?, ?)", (rowid, f"m{rowid}", date)
        )
        for chat in set(joined):
            connection.execute(
                "INSERT INTO chat_message_join (chat_id, message_id) VALUES (?, ?)", (chat, rowid)
            )
    for chat in orphans:  # joins of messages that are not there
        connection.execute(
            "INSERT OR IGNORE INTO chat_message_join (chat_id, message_id) VALUES (?, ?)", (chat, 1000 + chat)
        )
    connection.commit()
    return connection.serialize()


@pytest.mark.parametrize("check_every", [1024, 1], ids=["walked", "finished-chat-by-chat"])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    messages=_MESSAGES,
    chats=st.integers(0, 6),
    orphans=st.lists(st.integers(1, 7), max_size=3),
    indexed=st.booleans(),
)
# A page ending at a time two chats share: the one whose message has the higher id must not be left out.
@example(
    messages=[(8 * 10**17, [2]), (7 * 10**17, [3]), (7 * 10**17, [1])], chats=3, orphans=[], indexed=True
)
async def test_pages_read_in_stored_order_are_the_oracles(
    monkeypatch: pytest.MonkeyPatch,
    check_every: int,
    messages: list[tuple[object, list[int]]],
    chats: int,
    orphans: list[int],
    indexed: bool,
) -> None:
    monkeypatch.setattr(message_chats, "_CHECK_EVERY", check_every)
    data = _database(messages, chats, orphans, indexed)
    databases = [(reader, loaded(SOURCE, data, None)) for reader in READERS]
    for limit, offset in PAGES:
        query: dict[str, Any] = {"limit": limit, "offset": offset}
        wanted = oracle.messages(data, None, **query), oracle.chats(data, None, **query)
        for reader, database in databases:
            got = answer(await reader.messages(database, ViewQuery(**query)))
            assert got == wanted[0], ("messages", reader, query)
            got = answer(await reader.chats(database, ViewQuery(**query)))
            assert got == wanted[1], ("chats", reader, query)
