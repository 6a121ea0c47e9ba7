from functools import partial

from dishka import FromDishka
from litestar import Controller, get

from ios_backup_api.domain.manifest import DEFAULT_PAGE_SIZE
from ios_backup_api.domain.ports.views import MessagesReader, WhatsAppReader
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.domain.views.pages import ViewName, ViewQuery
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.openapi import BackupId
from ios_backup_api.entrypoints.http.queries import integers_are_digits
from ios_backup_api.entrypoints.http.view_examples import (
    CHAT,
    MESSAGE,
    WHATSAPP_CHAT,
    WHATSAPP_MESSAGE,
    view_responses,
)
from ios_backup_api.entrypoints.http.view_params import (
    ChatId,
    Limit,
    Offset,
    Search,
    Since,
    Until,
)
from ios_backup_api.entrypoints.http.view_schemas import (
    ChatOut,
    ChatPageOut,
    MessageOut,
    MessagePageOut,
    WhatsAppChatOut,
    WhatsAppChatPageOut,
    WhatsAppMessageOut,
    WhatsAppMessagePageOut,
)


class MessagesController(Controller):
    """sms.db: iMessage, SMS and RCS threads."""

    path = "/backups/{backup_id:str}/messages"
    tags = ["views"]  # noqa: RUF012 - litestar reads it as a class attribute

    @get(
        "/chats",
        summary="Messages: chats, newest last message first",
        before_request=integers_are_digits,
        responses=view_responses(ChatPageOut, "A page of chats", CHAT),
    )
    async def chats(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[MessagesReader],
        session_token: SessionHeader = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> ChatPageOut:
        query = ViewQuery(limit, offset)
        session = await sessions.resolve(backup_id, session_token)
        read = partial(reader.chats, query=query)
        page = await views.page(backup_id, session.opened, ViewName.MESSAGES, read)
        return ChatPageOut([ChatOut.of(chat) for chat in page.items], page.total, page.limit, page.offset)

    @get(
        "/",
        summary="Messages with their attachments, by time sent, then id",
        before_request=integers_are_digits,
        responses=view_responses(MessagePageOut, "A page of messages", MESSAGE),
    )
    async def messages(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[MessagesReader],
        session_token: SessionHeader = None,
        chat_id: ChatId = None,
        since: Since = None,
        until: Until = None,
        q: Search = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> MessagePageOut:
        query = ViewQuery(limit, offset, since, until, q, chat_id)
        session = await sessions.resolve(backup_id, session_token)
        read = partial(reader.messages, query=query)
        page = await views.page(backup_id, session.opened, ViewName.MESSAGES, read)
        items = [MessageOut.of(message) for message in page.items]
        return MessagePageOut(items, page.total, page.limit, page.offset)


class WhatsAppController(Controller):
    """ChatStorage.sqlite of WhatsApp."""

    path = "/backups/{backup_id:str}/whatsapp"
    tags = ["views"]  # noqa: RUF012 - litestar reads it as a class attribute

    @get(
        "/chats",
        summary="WhatsApp: chats, newest last message first",
        before_request=integers_are_digits,
        responses=view_responses(WhatsAppChatPageOut, "A page of WhatsApp chats", WHATSAPP_CHAT),
    )
    async def chats(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[WhatsAppReader],
        session_token: SessionHeader = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> WhatsAppChatPageOut:
        query = ViewQuery(limit, offset)
        session = await sessions.resolve(backup_id, session_token)
        read = partial(reader.chats, query=query)
        page = await views.page(backup_id, session.opened, ViewName.WHATSAPP, read)
        items = [WhatsAppChatOut.of(chat) for chat in page.items]
        return WhatsAppChatPageOut(items, page.total, page.limit, page.offset)

    @get(
        "/messages",
        summary="WhatsApp messages with their media, by time sent, then id",
        before_request=integers_are_digits,
        responses=view_responses(WhatsAppMessagePageOut, "A page of WhatsApp messages", WHATSAPP_MESSAGE),
    )
    async def messages(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[WhatsAppReader],
        session_token: SessionHeader = None,
        chat_id: ChatId = None,
        since: Since = None,
        until: Until = None,
        q: Search = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> WhatsAppMessagePageOut:
        query = ViewQuery(limit, offset, since, until, q, chat_id)
        session = await sessions.resolve(backup_id, session_token)
        read = partial(reader.messages, query=query)
        page = await views.page(backup_id, session.opened, ViewName.WHATSAPP, read)
        items = [WhatsAppMessageOut.of(message) for message in page.items]
        return WhatsAppMessagePageOut(items, page.total, page.limit, page.offset)
