import re
import unicodedata
from typing import Annotated, Any

from dishka import FromDishka
from litestar import Controller, HttpMethod, Request, Response, get, route
from litestar.params import QueryParameter
from litestar.response import Template

from ios_backup_api.domain.errors import EntryNotFoundError
from ios_backup_api.domain.manifest import MAX_PAGE_SIZE, EntryKind, FileId, FileQuery
from ios_backup_api.domain.ports.previews import ContentPreviews
from ios_backup_api.domain.previews import PreviewKind, preview_kind
from ios_backup_api.domain.services.session_lifecycle import SessionLifecycle
from ios_backup_api.domain.sessions import Session
from ios_backup_api.entrypoints.http.file_response import file_response
from ios_backup_api.entrypoints.http.openapi import NO_NUL, BackupId, FileIdParam
from ios_backup_api.entrypoints.http.stream_end import DownloadsEndQuietly
from ios_backup_api.entrypoints.web.cookies import session_cookie_name
from ios_backup_api.entrypoints.web.rendering import page

PAGE_SIZE = 100
Text = Annotated[str, QueryParameter(max_length=1024, pattern=NO_NUL)]


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def path_pattern(folder: str, search: str) -> str | None:
    """The `path_like` of a folder's entries, searched: a search without a wildcard matches anywhere in
    the path; the folder's own prefix keeps a pattern's start at the folder (`FileQuery.under` keeps the
    search inside it exactly, which LIKE alone would not: it folds case and reads `_` in the name).

    A keyboard types "é" as one character (NFC); a backup made on HFS+ names files with "e" and a combining
    accent (NFD). LIKE compares code points, so a run of non-ASCII letters matches as `%`: "Café" finds
    both spellings, and sometimes a little more."""
    wanted = search.strip()
    if wanted and "%" not in wanted and "_" not in wanted:
        wanted = f"%{wanted}%"
    wanted = _NOT_ASCII.sub("%", unicodedata.normalize("NFD", wanted))
    if folder:
        return f"{folder}/{wanted or '%'}"
    return wanted or None


async def session_of(
    request: Request[Any, Any, Any], backup_id: BackupId, sessions: SessionLifecycle
) -> Session:
    return await sessions.resolve(backup_id, request.cookies.get(session_cookie_name(backup_id)))


class BrowsePages(Controller):
    """An unlocked backup: its domains, a domain's folders and files, a file's details and download."""

    path = "/ui/backups/{backup_id:str}"
    include_in_schema = False
    middleware = [DownloadsEndQuietly()]  # noqa: RUF012 - litestar reads it as a class attribute

    @get("/files")
    async def files(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        domain: Text = "",
        folder: Text = "",
        search: Text = "",
        offset: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
    ) -> Template:
        session = await session_of(request, backup_id, sessions)
        context = {"backup_id": backup_id, "domain": domain, "folder": folder, "search": search}
        if not domain and not search:
            return page(request, "domains.html", {**context, "domains": await session.opened.domains()})
        if search:  # everything under the folder
            under = folder or None
            query = FileQuery(domain or None, path_pattern(folder, search), None, limit, offset, under=under)
        else:  # the folder's own entries: a tree, one level a page
            query = FileQuery(domain, None, None, limit, offset, parent=folder)
        found = await session.opened.files(query)
        return page(request, "files.html", {**context, "found": found})

    @get("/entry")
    async def entry(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        sessions: FromDishka[SessionLifecycle],
        previews: FromDishka[ContentPreviews],
        domain: Text,
        path: Text,
    ) -> Template:
        session = await session_of(request, backup_id, sessions)
        # LIKE without wildcards of its own matches the path (and its case variants): the exact one is kept
        found = await session.opened.files(FileQuery(domain, path, None, MAX_PAGE_SIZE, 0))
        entry = next((e for e in found.items if e.relative_path == path and e.domain == domain), None)
        if entry is None:
            raise EntryNotFoundError(f"This backup lists no {path} in {domain}.")
        kind = preview_kind(entry.relative_path) if entry.kind is EntryKind.FILE else None
        shown = None
        if kind is PreviewKind.CONTENTS:
            shown = await previews.preview(session.opened, FileId(entry.file_id))
        context = {"backup_id": backup_id, "entry": entry, "kind": kind, "preview": shown}
        return page(request, "entry.html", context)

    @route("/file/{file_id:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD])
    async def download(
        self,
        request: Request[Any, Any, Any],
        backup_id: BackupId,
        file_id: FileIdParam,
        sessions: FromDishka[SessionLifecycle],
    ) -> Response[Any]:
        """The API's download, authenticated by the page's cookie, so `<a download>` and `<img>` work."""
        wanted_id = FileId(file_id)
        session = await session_of(request, backup_id, sessions)
        return await file_response(request, session.opened, wanted_id)
