"""What every typed view shares: where its database is, how it is queried, and a page of its rows."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from ios_backup_api.domain.errors import InvalidQueryError
from ios_backup_api.domain.manifest import DEFAULT_PAGE_SIZE, check_paging


class ViewName(StrEnum):
    MESSAGES = "messages"
    WHATSAPP = "whatsapp"
    CONTACTS = "contacts"
    CALLS = "calls"
    PHOTOS = "photos"
    NOTES = "notes"


@dataclass(frozen=True, slots=True)
class EntryRef:
    """A manifest entry named by its domain and relative path (an app database, an attachment)."""

    domain: str
    relative_path: str


SOURCES: dict[ViewName, EntryRef] = {
    ViewName.MESSAGES: EntryRef("HomeDomain", "Library/SMS/sms.db"),
    ViewName.WHATSAPP: EntryRef("AppDomainGroup-group.net.whatsapp.WhatsApp.shared", "ChatStorage.sqlite"),
    ViewName.CONTACTS: EntryRef("HomeDomain", "Library/AddressBook/AddressBook.sqlitedb"),
    ViewName.CALLS: EntryRef("HomeDomain", "Library/CallHistoryDB/CallHistory.storedata"),
    ViewName.PHOTOS: EntryRef("CameraRollDomain", "Media/PhotoData/Photos.sqlite"),
    ViewName.NOTES: EntryRef("AppDomainGroup-group.com.apple.notes", "NoteStore.sqlite"),
}
"""The database each view reads, in the order `/views` lists them."""


@dataclass(frozen=True, slots=True)
class ViewAvailability:
    name: ViewName
    source: EntryRef
    file_id: str | None
    """The manifest entry of the view's database; None when the backup has none."""

    @property
    def available(self) -> bool:
        return self.file_id is not None


@dataclass(frozen=True, slots=True)
class ViewQuery:
    """The filters a view may take; each view reads those its contract names and ignores none silently
    (the HTTP layer only accepts a view's own parameters).

    `since`/`until` bound the view's main time field, inclusive; `q` is a case-insensitive substring.
    """

    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    chat_id: int | None = None
    kind: str | None = None
    """Photos: `photo` or `video`."""
    favorite: bool | None = None
    """Photos: only favourites (True) or only the others (False)."""

    def __post_init__(self) -> None:
        check_paging(self.limit, self.offset)
        for name, bound in (("since", self.since), ("until", self.until)):
            if bound is not None and bound.utcoffset() is None:
                raise InvalidQueryError(f"{name} must be an RFC 3339 time with its offset (e.g. Z).")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InvalidQueryError("since must not be after until.")
        if self.kind is not None and self.kind not in ("photo", "video"):
            raise InvalidQueryError("kind must be photo or video.")


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ViewPage(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
