"""The 200 responses of the typed views in the OpenAPI document, each with an example page."""

from typing import Any

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example

from ios_backup_api.entrypoints.http.openapi import errors

_ERRORS = (400, 401, 403, 404, 409, 503)


def view_responses(schema: type[Any], description: str, item: dict[str, Any]) -> dict[int, ResponseSpec]:
    example = Example(summary=description, value={"items": [item], "total": 1, "limit": 100, "offset": 0})
    ok = ResponseSpec(schema, description=description, generate_examples=False, examples=[example])
    return {200: ok, **errors(*_ERRORS)}


_JPEG = "3d0d7e5fb2ce288813306e4d4636395e047a3d28"
CHAT = {
    "id": 7,
    "guid": "iMessage;+;chat804312095342467",
    "service": "iMessage",
    "display_name": "Climbing",
    "participants": ["+15551230001", "ada@example.com"],
    "message_count": 412,
    "last_message_at": "2024-05-30T18:21:07.250000Z",
}
MESSAGE = {
    "id": 1042,
    "guid": "6C1B5E7A-2F0D-4A9B-9E51-0D8B3A2C4E11",
    "chat_id": 7,
    "sender": "+15551230001",
    "is_from_me": False,
    "sent_at": "2024-05-30T18:21:07.250000Z",
    "text": "Photos from Saturday",
    "service": "iMessage",
    "attachments": [{"file_id": _JPEG, "name": "IMG_4211.jpeg", "mime_type": "image/jpeg", "size": 183_210}],
}
WHATSAPP_CHAT = {
    "id": 3,
    "jid": "120363041234567890@g.us",
    "name": "Family",
    "is_group": True,
    "message_count": 88,
    "last_message_at": "2024-05-29T07:02:44.500000Z",
}
WHATSAPP_MESSAGE = {
    "id": 530,
    "chat_id": 3,
    "is_from_me": False,
    "sender": "15551230002@s.whatsapp.net",
    "sent_at": "2024-05-29T07:02:44.500000Z",
    "text": None,
    "media": {
        "file_id": _JPEG,
        "relative_path": "Media/120363041234567890@g.us/a/b/ab12.jpg",
        "mime_type": "image/jpeg",
        "size": 90_112,
    },
}
CONTACT = {
    "id": 12,
    "first_name": "Grace",
    "last_name": "Hopper",
    "organization": "Navy",
    "display_name": "Grace Hopper",
    "phones": [{"label": "mobile", "value": "+1 555 123 0003"}],
    "emails": [{"label": "work", "value": "grace@example.com"}],
    "created_at": "2019-03-02T10:00:00Z",
    "modified_at": "2024-01-15T08:30:12.500000Z",
}
CALL = {
    "id": 301,
    "address": "+15551230003",
    "name": "Grace Hopper",
    "direction": "outgoing",
    "answered": True,
    "duration_seconds": 421.5,
    "started_at": "2024-05-28T16:40:00.125000Z",
    "service": "com.apple.Telephony",
}
PHOTO = {
    "id": 88,
    "file_id": _JPEG,
    "filename": "IMG_0088.JPG",
    "kind": "photo",
    "taken_at": "2024-05-25T12:00:01.500000Z",
    "width": 4032,
    "height": 3024,
    "duration_seconds": None,
    "favorite": True,
    "hidden": False,
    "latitude": 48.8584,
    "longitude": 2.2945,
}
NOTE = {
    "id": 44,
    "title": "Shopping",
    "snippet": "eggs, flour",
    "folder": "Notes",
    "created_at": "2024-04-01T09:00:00Z",
    "modified_at": "2024-05-01T09:15:30.750000Z",
    "locked": False,
    "text": "Shopping\neggs, flour",
}
