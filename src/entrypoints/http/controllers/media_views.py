from functools import partial
from typing import Literal

from dishka import FromDishka
from litestar import Controller, get
from litestar.params import FromQuery

from ios_backup_api.domain.manifest import DEFAULT_PAGE_SIZE
from ios_backup_api.domain.ports.views import NotesReader, PhotosReader
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.domain.views.pages import ViewName, ViewQuery
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.openapi import BackupId
from ios_backup_api.entrypoints.http.queries import integers_are_digits
from ios_backup_api.entrypoints.http.view_examples import NOTE, PHOTO, view_responses
from ios_backup_api.entrypoints.http.view_params import Limit, Offset, Search, Since, Until
from ios_backup_api.entrypoints.http.view_schemas import NoteOut, NotePageOut, PhotoOut, PhotoPageOut


class MediaController(Controller):
    """The photo library and Notes."""

    path = "/backups/{backup_id:str}"
    tags = ["views"]  # noqa: RUF012 - litestar reads it as a class attribute

    @get(
        "/photos",
        summary="Photos and videos (trashed ones left out), newest first",
        before_request=integers_are_digits,
        responses=view_responses(PhotoPageOut, "A page of photos", PHOTO),
    )
    async def photos(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[PhotosReader],
        session_token: SessionHeader = None,
        kind: FromQuery[Literal["photo", "video"] | None] = None,
        favorite: FromQuery[Literal["true", "false"] | None] = None,
        since: Since = None,
        until: Until = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> PhotoPageOut:
        wanted = None if favorite is None else favorite == "true"
        query = ViewQuery(limit, offset, since, until, kind=kind, favorite=wanted)
        session = await sessions.resolve(backup_id, session_token)
        read = partial(reader.photos, query=query)
        page = await views.page(backup_id, session.opened, ViewName.PHOTOS, read)
        return PhotoPageOut([PhotoOut.of(photo) for photo in page.items], page.total, page.limit, page.offset)

    @get(
        "/notes",
        summary="Notes (a locked note's text is null), newest modified first",
        before_request=integers_are_digits,
        responses=view_responses(NotePageOut, "A page of notes", NOTE),
    )
    async def notes(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[NotesReader],
        session_token: SessionHeader = None,
        q: Search = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> NotePageOut:
        query = ViewQuery(limit, offset, q=q)
        session = await sessions.resolve(backup_id, session_token)
        read = partial(reader.notes, query=query)
        page = await views.page(backup_id, session.opened, ViewName.NOTES, read)
        return NotePageOut([NoteOut.of(note) for note in page.items], page.total, page.limit, page.offset)
