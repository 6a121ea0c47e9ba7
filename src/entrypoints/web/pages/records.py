"""The typed views that are lists as pages: which views the backup has, contacts, calls, photos, notes."""

from functools import partial
from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, get
from litestar.response import Template

from ios_backup_api.domain.ports.views import CallsReader, ContactsReader, NotesReader, PhotosReader
from ios_backup_api.domain.previews import preview_kind
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.domain.views.pages import ViewName, ViewQuery
from ios_backup_api.entrypoints.http.openapi import BackupId
from ios_backup_api.entrypoints.web.pages.browse import session_of
from ios_backup_api.entrypoints.web.pages.view_pages import VIEW_PAGE_SIZE, Limit, Offset, view_page
from ios_backup_api.entrypoints.web.rendering import page


class RecordPages(Controller):
    path = "/ui/backups/{backup_id:str}"
    include_in_schema = False

    @get("/views")
    async def views(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
    ) -> Template:
        session = await session_of(request, backup_id, sessions)
        available = await views.available(session.opened)
        return page(request, "views.html", {"backup_id": backup_id, "views": available})

    @get("/contacts")
    async def contacts(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[ContactsReader],
        offset: Offset = 0,
        limit: Limit = VIEW_PAGE_SIZE,
    ) -> Template:
        read = partial(reader.contacts, query=ViewQuery(limit, offset))
        found = await view_page(request, backup_id, sessions, views, ViewName.CONTACTS, read)
        context = {"backup_id": backup_id, "view": "contacts", "title": "Contacts", "found": found}
        return page(request, "contacts.html", context)

    @get("/calls")
    async def calls(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[CallsReader],
        offset: Offset = 0,
        limit: Limit = VIEW_PAGE_SIZE,
    ) -> Template:
        read = partial(reader.calls, query=ViewQuery(limit, offset))
        found = await view_page(request, backup_id, sessions, views, ViewName.CALLS, read)
        context = {"backup_id": backup_id, "view": "calls", "title": "Calls", "found": found}
        return page(request, "calls.html", context)

    @get("/photos")
    async def photos(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[PhotosReader],
        offset: Offset = 0,
        limit: Limit = VIEW_PAGE_SIZE,
    ) -> Template:
        read = partial(reader.photos, query=ViewQuery(limit, offset))
        found = await view_page(request, backup_id, sessions, views, ViewName.PHOTOS, read)
        shown = [(photo, preview_kind(photo.filename)) for photo in found.items]
        context = {"backup_id": backup_id, "view": "photos", "title": "Photos", "found": found}
        return page(request, "photos.html", {**context, "photos": shown})

    @get("/notes")
    async def notes(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[NotesReader],
        offset: Offset = 0,
        limit: Limit = VIEW_PAGE_SIZE,
    ) -> Template:
        read = partial(reader.notes, query=ViewQuery(limit, offset))
        found = await view_page(request, backup_id, sessions, views, ViewName.NOTES, read)
        context = {"backup_id": backup_id, "view": "notes", "title": "Notes", "found": found}
        return page(request, "notes.html", context)
