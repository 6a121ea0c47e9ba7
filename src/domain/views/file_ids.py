"""The `file_id` of each entry a page's rows point at, from the manifest (None for one it does not list)."""

from dataclasses import replace
from typing import TypeVar

from ios_backup_api.domain.ports.vault import OpenBackup
from ios_backup_api.domain.views.pages import EntryRef, ViewPage
from ios_backup_api.domain.views.records import Message, Photo, WhatsAppMessage

T = TypeVar("T")


async def with_file_ids(page: ViewPage[T], opened: OpenBackup) -> ViewPage[T]:
    wanted = {entry for item in page.items for entry in _entries(item)}
    if not wanted:
        return page
    ids = {entry: file_id.hex for entry, file_id in (await opened.locate(wanted)).items()}
    return replace(page, items=[_filled(item, ids) for item in page.items])


def _entries(item: object) -> list[EntryRef]:
    if isinstance(item, Message):
        return [attachment.entry for attachment in item.attachments if attachment.entry is not None]
    if isinstance(item, WhatsAppMessage):
        return [item.media.entry] if item.media is not None and item.media.entry is not None else []
    if isinstance(item, Photo):
        return [item.entry] if item.entry is not None else []
    return []


def _filled(item: T, ids: dict[EntryRef, str]) -> T:
    if isinstance(item, Message):
        attachments = [
            replace(attachment, file_id=None if attachment.entry is None else ids.get(attachment.entry))
            for attachment in item.attachments
        ]
        return replace(item, attachments=attachments)
    if isinstance(item, WhatsAppMessage) and item.media is not None:
        media = item.media
        filled = replace(media, file_id=None if media.entry is None else ids.get(media.entry))
        return replace(item, media=filled)
    if isinstance(item, Photo):
        return replace(item, file_id=None if item.entry is None else ids.get(item.entry))
    return item
