"""The rows of the typed views, as `../docs/API.md § Typed views` names their fields.

A field a database can't fill (an optional column it lacks, a NULL) is None. `file_id` fields start as None
in what the app readers return, beside the `EntryRef` they name; `ViewReading` fills them from the manifest.
Times are timezone-aware UTC, with their fractions of a second.
"""

from dataclasses import dataclass, field
from datetime import datetime

from ios_backup_api.domain.views.pages import EntryRef


@dataclass(frozen=True, slots=True)
class MessageAttachment:
    entry: EntryRef | None
    """Where the attachment is in the backup (`MediaDomain`, `Library/SMS/Attachments/…`)."""
    name: str | None
    mime_type: str | None
    size: int | None
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    guid: str
    service: str | None
    display_name: str | None
    participants: list[str]
    message_count: int
    last_message_at: datetime | None


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    guid: str
    chat_id: int | None
    sender: str | None
    is_from_me: bool
    sent_at: datetime | None
    text: str | None
    service: str | None
    attachments: list[MessageAttachment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WhatsAppChat:
    id: int
    jid: str
    name: str | None
    is_group: bool
    message_count: int
    last_message_at: datetime | None


@dataclass(frozen=True, slots=True)
class WhatsAppMedia:
    entry: EntryRef | None
    relative_path: str | None
    """As ZWAMEDIAITEM.ZMEDIALOCALPATH records it."""
    mime_type: str | None
    size: int | None
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class WhatsAppMessage:
    id: int
    chat_id: int
    is_from_me: bool
    sender: str | None
    sent_at: datetime | None
    text: str | None
    media: WhatsAppMedia | None


@dataclass(frozen=True, slots=True)
class LabeledValue:
    label: str | None
    """A plain word (`mobile`, `home`, `work`, …), never Apple's `_$!<Mobile>!$_` marker."""
    value: str


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    first_name: str | None
    last_name: str | None
    organization: str | None
    display_name: str
    phones: list[LabeledValue]
    emails: list[LabeledValue]
    created_at: datetime | None
    modified_at: datetime | None


@dataclass(frozen=True, slots=True)
class Call:
    id: int
    address: str | None
    name: str | None
    direction: str
    """`incoming` or `outgoing`."""
    answered: bool
    duration_seconds: float
    started_at: datetime | None
    service: str | None


@dataclass(frozen=True, slots=True)
class Photo:
    id: int
    entry: EntryRef | None
    """The original: `CameraRollDomain`, `Media/<directory>/<filename>`."""
    filename: str
    kind: str
    """`photo` or `video`."""
    taken_at: datetime | None
    width: int | None
    height: int | None
    duration_seconds: float | None
    favorite: bool
    hidden: bool
    latitude: float | None
    longitude: float | None
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    title: str | None
    snippet: str | None
    folder: str | None
    created_at: datetime | None
    modified_at: datetime | None
    locked: bool
    text: str | None
    """The body of a note that is not password-protected; None for a locked one."""
