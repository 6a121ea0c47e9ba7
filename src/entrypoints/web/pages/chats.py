"""Messages and WhatsApp as pages: the chats, then a chat's thread with its attachments."""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from ios_backup_api.domain.manifest import MAX_PAGE_SIZE
from ios_backup_api.domain.ports.views import MessagesReader, WhatsAppReader
from ios_backup_api.domain.previews import PreviewKind, preview_kind
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.domain.views.pages import ViewName, ViewQuery
from ios_backup_api.domain.views.records import Chat, Message, WhatsAppMessage
from ios_backup_api.entrypoints.http.openapi import BackupId
from ios_backup_api.entrypoints.web.pages.view_pages import VIEW_PAGE_SIZE, Limit, Offset, view_page
from ios_backup_api.entrypoints.web.rendering import page


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    size: int | None
    file_id: str | None
    kind: PreviewKind


@dataclass(frozen=True, slots=True)
class Bubble:
    """One message as the thread shows it, whichever app it is from."""

    sender: str | None
    is_from_me: bool
    sent_at: datetime | None
    text: str | None
    attachments: list[Attachment]


def _attachment(name: str | None, size: int | None, file_id: str | None) -> Attachment:
    shown = (name or "attachment").rsplit("/", 1)[-1]
    return Attachment(shown, size, file_id, preview_kind(shown))


def _message(message: Message) -> Bubble:
    attachments = [
        _attachment(a.name or (a.entry.relative_path if a.entry else None), a.size, a.file_id)
        for a in message.attachments
    ]
    # U+FFFC marks where an attachment sits in the text; the attachment is shown below it instead
    text = (message.text or "").replace("\ufffc", "").strip() or None
    return Bubble(message.sender, message.is_from_me, message.sent_at, text, attachments)


def _whatsapp(message: WhatsAppMessage) -> Bubble:
    media = message.media
    attachments = [] if media is None else [_attachment(media.relative_path, media.size, media.file_id)]
    return Bubble(message.sender, message.is_from_me, message.sent_at, message.text, attachments)


def _chat_name(chat: Chat) -> str:
    return chat.display_name or ", ".join(chat.participants) or chat.guid


def _shown(
    request: Request[Any, Any, Any],
    template: str,
    backup_id: str,
    view: str,
    title: str,
    found: Any,
    **more: Any,
) -> Template:
    return page(
        request, template, {"backup_id": backup_id, "view": view, "title": title, "found": found, **more}
    )


class ChatPages(Controller):
    path = "/ui/backups/{backup_id:str}"
    include_in_schema = False

    @get("/messages")
    async def messages(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[MessagesReader],
        offset: Offset = 0,
        limit: Limit = VIEW_PAGE_SIZE,
    ) -> Template:
        read = partial(reader.chats, query=ViewQuery(limit, offset))
        found = await view_page(request, backup_id, sessions, views, ViewName.MESSAGES, read)
        chats = [(c.id, _chat_name(c), c.service, c) for c in found.items]
        return _shown(request, "chats.html", backup_id, "messages", "Messages", found, chats=chats)

    @get("/messages/{chat_id:int}")
    async def thread(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        chat_id: FromPath[int],
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[MessagesReader],
        offset: Offset = 0,
        limit: Limit = VIEW_PAGE_SIZE,
    ) -> Template:
        read = partial(reader.messages, query=ViewQuery(limit, offset, chat_id=chat_id))
        found = await view_page(request, backup_id, sessions, views, ViewName.MESSAGES, read)
        every = partial(reader.chats, query=ViewQuery(MAX_PAGE_SIZE, 0))
        chats = await view_page(request, backup_id, sessions, views, ViewName.MESSAGES, every)
        chat = next((c for c in chats.items if c.id == chat_id), None)
        title = "Chat" if chat is None else _chat_name(chat)
        bubbles = [_message(m) for m in found.items]
        return _shown(request, "thread.html", backup_id, "messages", title, found, bubbles=bubbles)

    @get("/whatsapp")
    async def whatsapp(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[WhatsAppReader],
        offset: Offset = 0,
        limit: Limit = VIEW_PAGE_SIZE,
    ) -> Template:
        read = partial(reader.chats, query=ViewQuery(limit, offset))
        found = await view_page(request, backup_id, sessions, views, ViewName.WHATSAPP, read)
        chats = [(c.id, c.name or c.jid, "group" if c.is_group else c.jid, c) for c in found.items]
        return _shown(request, "chats.html", backup_id, "whatsapp", "WhatsApp", found, chats=chats)

    @get("/whatsapp/{chat_id:int}")
    async def whatsapp_thread(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        chat_id: FromPath[int],
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[WhatsAppReader],
        offset: Offset = 0,
        limit: Limit = VIEW_PAGE_SIZE,
    ) -> Template:
        read = partial(reader.messages, query=ViewQuery(limit, offset, chat_id=chat_id))
        found = await view_page(request, backup_id, sessions, views, ViewName.WHATSAPP, read)
        every = partial(reader.chats, query=ViewQuery(MAX_PAGE_SIZE, 0))
        chats = await view_page(request, backup_id, sessions, views, ViewName.WHATSAPP, every)
        chat = next((c for c in chats.items if c.id == chat_id), None)
        title = "WhatsApp chat" if chat is None else chat.name or chat.jid
        bubbles = [_whatsapp(m) for m in found.items]
        return _shown(request, "thread.html", backup_id, "whatsapp", title, found, bubbles=bubbles)
