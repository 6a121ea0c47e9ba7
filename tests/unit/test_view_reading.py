"""The typed views' service on fakes: which views a backup has, and a page whose rows point at entries
given the file ids the manifest has for them."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ios_backup_api.adapters.backup_writer.samples import rich_backup
from ios_backup_api.adapters.backup_writer.spec import SyntheticBackup, SyntheticFile
from ios_backup_api.domain.errors import ViewNotFoundError
from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.domain.views.pages import SOURCES, EntryRef, ViewName, ViewPage
from ios_backup_api.domain.views.records import (
    Message,
    MessageAttachment,
    Photo,
    WhatsAppMedia,
    WhatsAppMessage,
)
from tests.fakes.app_databases import InMemoryAppDatabases
from tests.support.vault_cases import fake_vault

SQLITE = b"SQLite format 3\x00" + bytes(84)
PRESENT = EntryRef("MediaDomain", "Media/Recordings/Recording 1.m4a")
ABSENT = EntryRef("MediaDomain", "Library/SMS/Attachments/00/00/gone.jpeg")
WHEN = datetime(2024, 5, 1, tzinfo=UTC)


async def _opened() -> tuple[OpenBackup, SyntheticBackup]:
    spec = rich_backup(None)
    files = tuple(
        SyntheticFile(source.domain, source.relative_path, SQLITE)
        for name, source in SOURCES.items()
        if name in (ViewName.MESSAGES, ViewName.PHOTOS)
    )
    spec = replace(
        spec, entries=tuple(e for e in spec.entries if e.relative_path != "Library/SMS/sms.db") + files
    )
    return await fake_vault("backup", spec).open("backup", None), spec


async def test_available_lists_every_view_in_order_with_its_database_s_entry() -> None:
    opened, spec = await _opened()
    ids = {(entry.domain, entry.relative_path): entry.file_id for entry in spec.all_entries()}
    views = await ViewReading(InMemoryAppDatabases()).available(opened)
    assert [view.name for view in views] == list(ViewName)
    for view in views:
        assert view.source == SOURCES[view.name]
        assert view.file_id == ids.get((view.source.domain, view.source.relative_path))
    assert [view.available for view in views] == [True, False, False, False, True, False]


def _file_id(spec: SyntheticBackup, entry: EntryRef) -> str:
    return next(
        e.file_id
        for e in spec.all_entries()
        if (e.domain, e.relative_path) == (entry.domain, entry.relative_path)
    )


def _message(attachments: list[EntryRef | None]) -> Message:
    return Message(
        1,
        "g",
        1,
        None,
        True,
        WHEN,
        "hi",
        "iMessage",
        [MessageAttachment(a, "x", None, 1) for a in attachments],
    )


async def test_a_page_s_entries_get_the_manifest_s_file_ids_and_the_absent_none() -> None:
    opened, spec = await _opened()
    present_id = _file_id(spec, PRESENT)
    handed: list[AppDatabase] = []

    async def read(database: AppDatabase) -> ViewPage[Message]:
        handed.append(database)
        return ViewPage([_message([PRESENT, ABSENT, None]), _message([])], 2, 100, 0)

    page = await ViewReading(InMemoryAppDatabases()).page("backup", opened, ViewName.MESSAGES, read)
    assert handed[0].source == SOURCES[ViewName.MESSAGES]
    assert [a.file_id for a in page.items[0].attachments] == [present_id, None, None]
    assert page.items[1].attachments == []
    assert (page.total, page.limit, page.offset) == (2, 100, 0)


async def test_photos_and_whatsapp_media_get_their_file_ids_too() -> None:
    opened, spec = await _opened()
    present_id = _file_id(spec, PRESENT)
    photo = Photo(1, PRESENT, "a.jpg", "photo", WHEN, 1, 1, None, False, False, None, None)

    async def photos(_: AppDatabase) -> ViewPage[Photo]:
        return ViewPage(
            [photo, replace(photo, id=2, entry=ABSENT), replace(photo, id=3, entry=None)], 3, 100, 0
        )

    page = await ViewReading(InMemoryAppDatabases()).page("backup", opened, ViewName.PHOTOS, photos)
    assert [item.file_id for item in page.items] == [present_id, None, None]
    message = WhatsAppMessage(1, 1, False, None, WHEN, None, WhatsAppMedia(PRESENT, "p", None, None))
    filled = ViewReading(InMemoryAppDatabases())
    media = await filled.page(
        "backup",
        opened,
        ViewName.PHOTOS,
        lambda _: _page_of(message),  # type: ignore[arg-type,return-value]
    )
    assert media.items[0].media is not None
    assert media.items[0].media.file_id == present_id


async def _page_of(item: WhatsAppMessage) -> ViewPage[WhatsAppMessage]:
    return ViewPage([item], 1, 100, 0)


async def test_a_view_of_an_app_the_backup_lacks_is_not_found() -> None:
    opened, _ = await _opened()

    async def read(_: AppDatabase) -> ViewPage[Message]:
        raise AssertionError("no database to read")

    with pytest.raises(ViewNotFoundError, match=r"ChatStorage\.sqlite"):
        await ViewReading(InMemoryAppDatabases()).page("backup", opened, ViewName.WHATSAPP, read)
