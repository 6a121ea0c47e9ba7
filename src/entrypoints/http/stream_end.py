"""A download whose session ends while it streams (lock, expiry, the backup's removal) stops there: the
connection is closed, and the log says so in one line, not with a traceback."""

import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from ios_backup_api.domain.errors import SessionRequiredError

logger = logging.getLogger("ios_backup_api")

# Set in the request's task, whose context uvicorn's own line about the unfinished response is logged in.
_ended_by_its_session: ContextVar[bool] = ContextVar("ended_by_its_session", default=False)
_UVICORNS_LINE = "ASGI callable returned without completing response."


class DownloadEndedError(Exception):
    """The stream of a file stopped because its session ended; its response can't be completed."""


async def ending_with_the_session(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield chunk
    except SessionRequiredError:
        raise DownloadEndedError from None


async def after(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`first`, then `rest`: a stream whose first chunk was read before its response began (a backup that
    can't be read answers with its status, not a cut stream)."""
    yield first
    async for chunk in rest:
        yield chunk


class DownloadsEndQuietly(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        try:
            await next_app(scope, receive, send)
        except Exception as error:
            # Litestar reports a failure after the response started as its own exception, caused by the
            # stream's task group: the download's end is found down that chain.
            if not _ended_by_the_session(error):
                raise
            logger.info("A download stopped: its session ended (locked, expired or its backup removed).")
            _ended_by_its_session.set(True)


class UvicornsLineOnIt(logging.Filter):
    """On uvicorn's error logger: drops its line on the unfinished response of a download we stopped, which
    would be a second line for one event. An unfinished response of any other cause is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg == _UVICORNS_LINE and _ended_by_its_session.get())


def _ended_by_the_session(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, DownloadEndedError):
            return True
        if isinstance(error, BaseExceptionGroup):
            return any(_ended_by_the_session(inner) for inner in error.exceptions)
        error = error.__cause__
    return False
