"""The HTTP shapes of the typed views, mapped explicitly from the domain's records."""

from datetime import datetime
from typing import Literal

import msgspec

from ios_backup_api.domain.views.pages import ViewAvailability
from ios_backup_api.domain.views.records import (
    Call,
    Chat,
    Contact,
    LabeledValue,
    Message,
    Note,
    Photo,
    WhatsAppChat,
    WhatsAppMessage,
)
from ios_backup_api.entrypoints.http.schemas import utc


class ViewOut(msgspec.Struct, frozen=True):
    name: str
    available: bool
    domain: str
    relative_path: str
    file_id: str | None

    @classmethod
    def of(cls, view: ViewAvailability) -> "ViewOut":
        source = view.source
        return cls(view.name.value, view.available, source.domain, source.relative_path, view.file_id)


class ViewListOut(msgspec.Struct, frozen=True):
    views: list[ViewOut]


class ChatOut(msgspec.Struct, frozen=True):
    id: int
    guid: str
    service: str | None
    display_name: str | None
    participants: list[str]
    message_count: int
    last_message_at: datetime | None

    @classmethod
    def of(cls, chat: Chat) -> "ChatOut":
        return cls(
            chat.id,
            chat.guid,
            chat.service,
            chat.display_name,
            list(chat.participants),
            chat.message_count,
            utc(chat.last_message_at),
        )


class AttachmentOut(msgspec.Struct, frozen=True):
    file_id: str | None
    name: str | None
    mime_type: str | None
    size: int | None


class MessageOut(msgspec.Struct, frozen=True):
    id: int
    guid: str
    chat_id: int | None
    sender: str | None
    is_from_me: bool
    sent_at: datetime | None
    text: str | None
    service: str | None
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, message: Message) -> "MessageOut":
        attachments = [
            AttachmentOut(item.file_id, item.name, item.mime_type, item.size) for item in message.attachments
        ]
        return cls(
            message.id,
            message.guid,
            message.chat_id,
            message.sender,
            message.is_from_me,
            utc(message.sent_at),
            message.text,
            message.service,
            attachments,
        )


class WhatsAppChatOut(msgspec.Struct, frozen=True):
    id: int
    jid: str
    name: str | None
    is_group: bool
    message_count: int
    last_message_at: datetime | None

    @classmethod
    def of(cls, chat: WhatsAppChat) -> "WhatsAppChatOut":
        return cls(chat.id, chat.jid, chat.name, chat.is_group, chat.message_count, utc(chat.last_message_at))


class WhatsAppMediaOut(msgspec.Struct, frozen=True):
    file_id: str | None
    relative_path: str | None
    mime_type: str | None
    size: int | None


class WhatsAppMessageOut(msgspec.Struct, frozen=True):
    id: int
    chat_id: int
    is_from_me: bool
    sender: str | None
    sent_at: datetime | None
    text: str | None
    media: WhatsAppMediaOut | None

    @classmethod
    def of(cls, message: WhatsAppMessage) -> "WhatsAppMessageOut":
        media = message.media
        return cls(
            message.id,
            message.chat_id,
            message.is_from_me,
            message.sender,
            utc(message.sent_at),
            message.text,
            None
            if media is None
            else WhatsAppMediaOut(media.file_id, media.relative_path, media.mime_type, media.size),
        )


class LabeledValueOut(msgspec.Struct, frozen=True):
    label: str | None
    value: str

    @classmethod
    def of(cls, value: LabeledValue) -> "LabeledValueOut":
        return cls(value.label, value.value)


class ContactOut(msgspec.Struct, frozen=True):
    id: int
    first_name: str | None
    last_name: str | None
    organization: str | None
    display_name: str
    phones: list[LabeledValueOut]
    emails: list[LabeledValueOut]
    created_at: datetime | None
    modified_at: datetime | None

    @classmethod
    def of(cls, contact: Contact) -> "ContactOut":
        return cls(
            contact.id,
            contact.first_name,
            contact.last_name,
            contact.organization,
            contact.display_name,
            [LabeledValueOut.of(phone) for phone in contact.phones],
            [LabeledValueOut.of(email) for email in contact.emails],
            utc(contact.created_at),
            utc(contact.modified_at),
        )


class CallOut(msgspec.Struct, frozen=True):
    id: int
    address: str | None
    name: str | None
    direction: Literal["incoming", "outgoing"]
    answered: bool
    duration_seconds: float
    started_at: datetime | None
    service: str | None

    @classmethod
    def of(cls, call: Call) -> "CallOut":
        direction: Literal["incoming", "outgoing"] = (
            "outgoing" if call.direction == "outgoing" else "incoming"
        )
        return cls(
            call.id,
            call.address,
            call.name,
            direction,
            call.answered,
            call.duration_seconds,
            utc(call.started_at),
            call.service,
        )


class PhotoOut(msgspec.Struct, frozen=True):
    id: int
    file_id: str | None
    filename: str
    kind: Literal["photo", "video"]
    taken_at: datetime | None
    width: int | None
    height: int | None
    duration_seconds: float | None
    favorite: bool
    hidden: bool
    latitude: float | None
    longitude: float | None

    @classmethod
    def of(cls, photo: Photo) -> "PhotoOut":
        kind: Literal["photo", "video"] = "video" if photo.kind == "video" else "photo"
        return cls(
            photo.id,
            photo.file_id,
            photo.filename,
            kind,
            utc(photo.taken_at),
            photo.width,
            photo.height,
            photo.duration_seconds,
            photo.favorite,
            photo.hidden,
            photo.latitude,
            photo.longitude,
        )


class NoteOut(msgspec.Struct, frozen=True):
    id: int
    title: str | None
    snippet: str | None
    folder: str | None
    created_at: datetime | None
    modified_at: datetime | None
    locked: bool
    text: str | None

    @classmethod
    def of(cls, note: Note) -> "NoteOut":
        return cls(
            note.id,
            note.title,
            note.snippet,
            note.folder,
            utc(note.created_at),
            utc(note.modified_at),
            note.locked,
            note.text,
        )


class ChatPageOut(msgspec.Struct, frozen=True):
    items: list[ChatOut]
    total: int
    limit: int
    offset: int


class MessagePageOut(msgspec.Struct, frozen=True):
    items: list[MessageOut]
    total: int
    limit: int
    offset: int


class WhatsAppChatPageOut(msgspec.Struct, frozen=True):
    items: list[WhatsAppChatOut]
    total: int
    limit: int
    offset: int


class WhatsAppMessagePageOut(msgspec.Struct, frozen=True):
    items: list[WhatsAppMessageOut]
    total: int
    limit: int
    offset: int


class ContactPageOut(msgspec.Struct, frozen=True):
    items: list[ContactOut]
    total: int
    limit: int
    offset: int


class CallPageOut(msgspec.Struct, frozen=True):
    items: list[CallOut]
    total: int
    limit: int
    offset: int


class PhotoPageOut(msgspec.Struct, frozen=True):
    items: list[PhotoOut]
    total: int
    limit: int
    offset: int


class NotePageOut(msgspec.Struct, frozen=True):
    items: list[NoteOut]
    total: int
    limit: int
    offset: int
