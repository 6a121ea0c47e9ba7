from functools import partial

from dishka import FromDishka
from litestar import Controller, get

from ios_backup_api.domain.manifest import DEFAULT_PAGE_SIZE
from ios_backup_api.domain.ports.views import CallsReader, ContactsReader
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.domain.views.pages import ViewName, ViewQuery
from ios_backup_api.entrypoints.http.controllers.sessions import SessionHeader
from ios_backup_api.entrypoints.http.openapi import BackupId
from ios_backup_api.entrypoints.http.queries import integers_are_digits
from ios_backup_api.entrypoints.http.view_examples import CALL, CONTACT, view_responses
from ios_backup_api.entrypoints.http.view_params import Limit, Offset, Search, Since, Until
from ios_backup_api.entrypoints.http.view_schemas import CallOut, CallPageOut, ContactOut, ContactPageOut


class PeopleController(Controller):
    """The address book and the call history."""

    path = "/backups/{backup_id:str}"
    tags = ["views"]  # noqa: RUF012 - litestar reads it as a class attribute

    @get(
        "/contacts",
        summary="Contacts with their phones and emails, by display name, then id",
        before_request=integers_are_digits,
        responses=view_responses(ContactPageOut, "A page of contacts", CONTACT),
    )
    async def contacts(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[ContactsReader],
        session_token: SessionHeader = None,
        q: Search = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> ContactPageOut:
        query = ViewQuery(limit, offset, q=q)
        session = await sessions.resolve(backup_id, session_token)
        read = partial(reader.contacts, query=query)
        page = await views.page(backup_id, session.opened, ViewName.CONTACTS, read)
        items = [ContactOut.of(contact) for contact in page.items]
        return ContactPageOut(items, page.total, page.limit, page.offset)

    @get(
        "/calls",
        summary="Calls, newest first",
        before_request=integers_are_digits,
        responses=view_responses(CallPageOut, "A page of calls", CALL),
    )
    async def calls(
        self,
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        views: FromDishka[ViewReading],
        reader: FromDishka[CallsReader],
        session_token: SessionHeader = None,
        since: Since = None,
        until: Until = None,
        q: Search = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> CallPageOut:
        query = ViewQuery(limit, offset, since, until, q)
        session = await sessions.resolve(backup_id, session_token)
        read = partial(reader.calls, query=query)
        page = await views.page(backup_id, session.opened, ViewName.CALLS, read)
        return CallPageOut([CallOut.of(call) for call in page.items], page.total, page.limit, page.offset)
