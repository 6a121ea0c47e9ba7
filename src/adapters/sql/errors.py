import socket
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ios_backup_api.domain.errors import CatalogUnavailableError

_REASON_LIMIT = 200


@contextmanager
def unavailable_on_failure(doing: str) -> Iterator[None]:
    """Turn every driver, pool and socket failure into the domain's `CatalogUnavailableError`.

    `OSError` covers what escapes SQLAlchemy's wrapping: refused connections, timeouts, unusable paths.
    """
    try:
        yield
    except (SQLAlchemyError, OSError) as e:
        raise CatalogUnavailableError(f"The catalog database failed while {doing}: {_reason(e)}") from e


def _reason(error: Exception) -> str:
    root = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    # Socket failures are named without the address: the reason reaches unauthenticated /readyz callers.
    if isinstance(root, ConnectionRefusedError):
        return "connection refused"
    if isinstance(root, TimeoutError):
        return "no answer in time"
    if isinstance(root, socket.gaierror):
        return "the host name does not resolve"
    lines = str(root).strip().splitlines()
    reason = lines[0] if lines else type(root).__name__
    return reason if len(reason) <= _REASON_LIMIT else reason[: _REASON_LIMIT - 1] + "…"
