"""Every typed view over HTTP against a real server, on backups holding the app databases of each iOS
version 14 to 18, with and without a `-wal` (two of them encrypted): each page (counts, every field of every
row, order, each filter, paging) is what the independent sqlite3 reading of the same database answers; each
`file_id` downloads the bytes the backup holds; and afterwards no plaintext is on disk and the backup folders
are byte-for-byte unchanged."""

import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from ios_backup_api.adapters.backup_writer.apps.phone import with_apps
from ios_backup_api.adapters.backup_writer.samples import rich_backup
from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticFile
from ios_backup_api.adapters.backup_writer.writer import write_backup
from ios_backup_api.domain.views.pages import SOURCES, EntryRef, ViewName
from tests.support.app_oracles import calls, contacts, messages, notes, photos, whatsapp
from tests.support.backups import FAST_DPIC, FAST_ITER, PASSPHRASE, regular_files, tree_digests
from tests.support.server import running_server
from tests.support.vault_cases import files_holding, in_unencrypted_backup, scratch_roots

TOKEN = "views-over-http-token-0123456789"
# (iOS version, with a -wal, encrypted)
PHONES = [(ios, wal, ios in (15, 18) and wal) for ios in (14, 15, 16, 17, 18) for wal in (False, True)]
Oracle = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class View:
    path: str
    name: ViewName
    oracle: Oracle
    time_field: str | None
    """The field `since`/`until` bound; None when the view takes neither."""
    filters: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    """The filters to try, made from the view's whole answer."""


def _searches(*fields: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """A `q` from the middle of a field's value, swapped in case (the match ignores case), and one that
    matches nothing."""

    def filters(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = [
            str(value)
            for item in items
            for field in fields
            for value in _values(item, field)
            if value and len(str(value)) >= 4
        ]
        wanted = [{"q": text[1:4].swapcase()} for text in found[:: max(1, len(found) // 3)][:3]]
        return [*wanted, {"q": "no such text anywhere ✗"}]

    return filters


def _values(item: dict[str, Any], field: str) -> list[Any]:
    value = item.get(field)
    if isinstance(value, list):  # phones, emails
        return [part.get("value") for part in value]
    return [value]


def _photo_filters(_: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"kind": "photo"}, {"kind": "video"}, {"favorite": True}, {"favorite": False}]


def _texts_and_chats(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Searches of the texts, each chat's messages (and a chat that is none), and a chat's searched."""
    chats = sorted({item["chat_id"] for item in items if item["chat_id"] is not None})
    by_chat = [{"chat_id": chat} for chat in chats[:6]] + [{"chat_id": 2**40}]
    searches = _searches("text")(items)
    return [*searches, *by_chat, *([{**searches[0], **by_chat[0]}] if chats else [])]


VIEWS = [
    View("messages/chats", ViewName.MESSAGES, messages.chats, None, lambda _: []),
    View("messages", ViewName.MESSAGES, messages.messages, "sent_at", _texts_and_chats),
    View("whatsapp/chats", ViewName.WHATSAPP, whatsapp.chats, None, lambda _: []),
    View("whatsapp/messages", ViewName.WHATSAPP, whatsapp.messages, "sent_at", _texts_and_chats),
    View(
        "contacts", ViewName.CONTACTS, contacts.contacts, None, _searches("display_name", "phones", "emails")
    ),
    View("calls", ViewName.CALLS, calls.calls, "started_at", _searches("address", "name")),
    View("photos", ViewName.PHOTOS, photos.photos, "taken_at", _photo_filters),
    View("notes", ViewName.NOTES, notes.notes, None, _searches("title", "text")),
]


@dataclass(frozen=True)
class Phone:
    backup_id: str
    spec: SyntheticBackup
    passphrase: str | None

    def files(self, source: EntryRef) -> tuple[bytes, bytes | None]:
        by_path = {
            (entry.domain, entry.relative_path): entry.read_bytes()
            for entry in self.spec.entries
            if isinstance(entry, SyntheticFile)
        }
        wal = by_path.get((source.domain, source.relative_path + "-wal"))
        return by_path[(source.domain, source.relative_path)], wal


@dataclass(frozen=True)
class Served:
    client: httpx.Client
    phones: list[Phone]
    sessions: dict[str, dict[str, str]]
    base_path: Path
    started_at: float


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    started_at = time.time() - 2
    root = tmp_path_factory.mktemp("views-over-http")
    base_path = root / "backups"
    phones = []
    for ios, wal, encrypted in PHONES:
        passphrase = PASSPHRASE if encrypted else None
        backup_id = f"ios{ios}-{'wal' if wal else 'nowal'}{'-encrypted' if encrypted else ''}"
        spec = replace(
            rich_backup(passphrase, FAST_DPIC, FAST_ITER), udid=backup_id, product_version=f"{ios}.1"
        )
        spec = with_apps(spec, ios, wal=wal, seed=ios)
        write_backup(base_path / backup_id, spec, seed=ios)
        phones.append(Phone(backup_id, spec, passphrase))
    before = tree_digests(base_path)
    env = {
        "HOME": str(root),
        "IOS_BACKUP_SECURITY__API_TOKEN": TOKEN,
        "IOS_BACKUP_BACKUP_PATHS__BASE_PATH": str(base_path),
    }
    with (
        running_server(env, root, root / "server.log") as server,
        httpx.Client(base_url=server.url, headers={"X-API-Token": TOKEN}, timeout=60) as client,
    ):
        sessions = {}
        for phone in phones:
            unlocked = client.post(f"/backups/{phone.backup_id}/unlock", json={"password": phone.passphrase})
            assert unlocked.status_code == 200, unlocked.text
            sessions[phone.backup_id] = {"X-Backup-Session": unlocked.json()["session_token"]}
        yield Served(client, phones, sessions, base_path, started_at)
    assert tree_digests(base_path) == before, "nothing is written into a backup folder"


def _as_answered(value: Any, ids: dict[tuple[str, str], str]) -> Any:
    """An oracle's `asdict` record as the API writes it: times as msgspec writes them, and the manifest
    entry a row points at as its `file_id` (None when the backup does not list it)."""
    if isinstance(value, dict):
        answered = {key: _as_answered(item, ids) for key, item in value.items() if key != "entry"}
        if "entry" in value:
            entry = value["entry"]
            answered["file_id"] = (
                None if entry is None else ids.get((entry["domain"], entry["relative_path"]))
            )
        return answered
    if isinstance(value, list):
        return [_as_answered(item, ids) for item in value]
    if isinstance(value, datetime):
        return msgspec.json.decode(msgspec.json.encode(value))
    return value


def _http_params(filters: dict[str, Any]) -> dict[str, str]:
    def written(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return str(msgspec.json.decode(msgspec.json.encode(value)))
        return str(value)

    return {key: written(value) for key, value in filters.items()}


def _file_ids(phone: Phone) -> dict[tuple[str, str], str]:
    return {(entry.domain, entry.relative_path): entry.file_id for entry in phone.spec.all_entries()}


def _check(served: Served, phone: Phone, view: View, filters: dict[str, Any]) -> dict[str, Any]:
    main, wal = phone.files(SOURCES[view.name])
    expected = view.oracle(main, wal, **filters)
    limit, offset = filters.get("limit", 100), filters.get("offset", 0)
    url = f"/backups/{phone.backup_id}/{view.path}"
    response = served.client.get(url, params=_http_params(filters), headers=served.sessions[phone.backup_id])
    assert response.status_code == 200, (view.path, filters, response.text)
    wanted = {**_as_answered(expected, _file_ids(phone)), "limit": limit, "offset": offset}
    assert response.json() == wanted, (phone.backup_id, view.path, filters)
    answered: dict[str, Any] = response.json()
    return answered


def _time_filters(view: View, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if view.time_field is None:
        return []
    times = sorted(item[view.time_field] for item in items if item[view.time_field] is not None)
    if not times:
        return []
    low, middle, high = (
        datetime.fromisoformat(times[index].replace("Z", "+00:00"))
        for index in (len(times) // 4, len(times) // 2, 3 * len(times) // 4)
    )
    return [{"since": middle}, {"until": middle}, {"since": low, "until": high}]


@pytest.mark.parametrize("view", VIEWS, ids=[view.path for view in VIEWS])
def test_each_view_answers_what_sqlite_reads_of_its_database(served: Served, view: View) -> None:
    for phone in served.phones:
        whole = _check(served, phone, view, {"limit": 1000})
        assert whole["total"] > 0, (phone.backup_id, view.path)
        _check(served, phone, view, {})
        for offset in range(0, whole["total"] + 3, 3):
            _check(served, phone, view, {"limit": 3, "offset": offset})
        for filters in [*view.filters(whole["items"]), *_time_filters(view, whole["items"])]:
            page = _check(served, phone, view, {**filters, "limit": 1000})
            if page["total"] > 2:
                _check(served, phone, view, {**filters, "limit": 2, "offset": 1})


def test_views_lists_each_database_with_its_entry(served: Served) -> None:
    for phone in served.phones:
        views = served.client.get(
            f"/backups/{phone.backup_id}/views", headers=served.sessions[phone.backup_id]
        ).json()["views"]
        ids = _file_ids(phone)
        for view in views:
            source = SOURCES[ViewName(view["name"])]
            assert view["file_id"] == ids.get((source.domain, source.relative_path)), view
            assert view["available"] is (view["file_id"] is not None)


def test_every_photo_s_file_id_downloads_its_original(served: Served) -> None:
    for phone in served.phones:
        session = served.sessions[phone.backup_id]
        contents = {file.file_id: file.read_bytes() for file in regular_files(phone.spec)}
        items = served.client.get(
            f"/backups/{phone.backup_id}/photos", params={"limit": 1000}, headers=session
        ).json()["items"]
        pointed = [item["file_id"] for item in items if item["file_id"] is not None]
        assert pointed, phone.backup_id
        assert any(item["file_id"] is None for item in items), "an original missing from the backup is null"
        for file_id in pointed:
            download = served.client.get(f"/backups/{phone.backup_id}/file/{file_id}", headers=session)
            assert download.content == contents[file_id]
            assert download.content[:3] in (b"\xff\xd8\xff", b"\x00\x00\x00"), "a JPEG or a QuickTime movie"


def test_a_locked_note_has_no_text_and_the_others_have_theirs(served: Served) -> None:
    for phone in served.phones:
        items = served.client.get(
            f"/backups/{phone.backup_id}/notes",
            params={"limit": 1000},
            headers=served.sessions[phone.backup_id],
        ).json()["items"]
        locked = [item for item in items if item["locked"]]
        assert locked, phone.backup_id
        assert all(item["text"] is None for item in locked)
        assert any(item["text"] for item in items if not item["locked"])


def _all(served: Served, phone: Phone, path: str) -> list[dict[str, Any]]:
    url = f"/backups/{phone.backup_id}/{path}"
    response = served.client.get(url, params={"limit": 1000}, headers=served.sessions[phone.backup_id])
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_every_attachment_s_and_media_s_file_id_downloads_its_bytes(served: Served) -> None:
    for phone in served.phones:
        session = served.sessions[phone.backup_id]
        contents = {file.file_id: file.read_bytes() for file in regular_files(phone.spec)}
        attachments = [a for item in _all(served, phone, "messages") for a in item["attachments"]]
        media = [item["media"] for item in _all(served, phone, "whatsapp/messages") if item["media"]]
        pointed = [item["file_id"] for item in [*attachments, *media] if item["file_id"] is not None]
        assert len(pointed) >= 2, phone.backup_id
        for file_id in pointed:
            download = served.client.get(f"/backups/{phone.backup_id}/file/{file_id}", headers=session)
            assert download.status_code == 200
            assert download.content == contents[file_id]


def test_a_message_whose_text_is_only_in_attributed_body_shows_it(served: Served) -> None:
    for phone in served.phones:
        if int(phone.backup_id[3:5]) < 16:  # the generator leaves text NULL from iOS 16 on, as phones do
            continue
        main, wal = phone.files(SOURCES[ViewName.MESSAGES])
        only_in_body = {
            item["id"]
            for item in messages.messages(main, wal, limit=10**6)["items"]
            if item["text"] is not None and _stored_text(main, wal, item["id"]) is None
        }
        assert only_in_body, phone.backup_id
        shown = {item["id"]: item["text"] for item in _all(served, phone, "messages")}
        assert all(shown[message_id] for message_id in only_in_body & set(shown))
        assert only_in_body & set(shown)


def _stored_text(main: bytes, wal: bytes | None, message_id: int) -> object:
    """`message.text` as sqlite3 reads it (the -wal beside its database, in a folder of the test's)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sms.db"
        path.write_bytes(main)
        if wal is not None:
            Path(f"{path}-wal").write_bytes(wal)
        with closing(sqlite3.connect(path)) as connection:
            row = connection.execute("SELECT text FROM message WHERE ROWID = ?", (message_id,)).fetchone()
    return row[0]


def test_no_plaintext_reaches_the_disk(served: Served) -> None:
    """After every view of every backup was read (the tests above, in this module's order): the text of a
    message of an encrypted backup is in no file written since, but in the folder of the unencrypted backup of
    the same phone (the same seed, without a -wal), where the scan must find it."""
    encrypted = next(phone for phone in served.phones if phone.passphrase is not None)
    plain = next(
        phone for phone in served.phones if phone.backup_id == encrypted.backup_id.split("-")[0] + "-nowal"
    )
    texts = [
        {item["text"] for item in _all(served, phone, "messages") if item["text"]}
        for phone in (encrypted, plain)
    ]
    marker = max(texts[0] & texts[1], key=len)[:64].encode()
    assert len(marker) >= 16
    holding = list(files_holding(marker, served.started_at, scratch_roots(served.base_path.parent)))
    assert any(in_unencrypted_backup(path) for path in holding), "the scan finds the plaintext it should"
    assert [path for path in holding if not in_unencrypted_backup(path)] == []
