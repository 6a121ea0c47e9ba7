"""What the pages of the typed views share: a page of a view read by `ViewReading` with the session of the
page's cookie, and the paging parameters."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from litestar import Request
from litestar.params import QueryParameter

from ios_backup_api.domain.manifest import MAX_PAGE_SIZE
from ios_backup_api.domain.ports.views import AppDatabase
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.services.view_reading import ViewReading
from ios_backup_api.domain.views.pages import ViewName, ViewPage
from ios_backup_api.entrypoints.web.pages.browse import session_of

T = TypeVar("T")
VIEW_PAGE_SIZE = 60
Offset = Annotated[int, QueryParameter(ge=0, le=2**62)]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)]


async def view_page(
    request: Request[Any, Any, Any],
    backup_id: str,
    sessions: SessionLifecycle,
    views: ViewReading,
    name: ViewName,
    read: Callable[[AppDatabase], Awaitable[ViewPage[T]]],
) -> ViewPage[T]:
    session = await session_of(request, backup_id, sessions)
    return await views.page(backup_id, session.opened, name, read)
