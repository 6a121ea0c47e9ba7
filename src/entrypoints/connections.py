"""uvicorn's HTTP/1.1 protocol (h11) with what it lacks: a deadline on reading each request, and a cap on open
connections. Without them a client that sends half a request, or nothing, holds its connection forever, and
enough such clients exhaust the process's descriptors."""

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger("ios_backup_api")

# The client's side of the connection while a request is still on its way: its head (IDLE: the first byte may
# have come) or its body.
_READING = (h11.IDLE, h11.SEND_BODY)


def h11_with_limits(read_timeout_seconds: float, max_connections: int) -> Callable[..., H11Protocol]:
    """The protocol as uvicorn builds it, with its limits bound: picklable, so that each worker process
    (see server.py) is given it."""
    return partial(
        LimitedH11Protocol, read_timeout_seconds=read_timeout_seconds, max_connections=max_connections
    )


class LimitedH11Protocol(H11Protocol):
    """Limits are per process: with several workers, each caps its own connections (and descriptors)."""

    _read_deadline: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, read_timeout_seconds: float, max_connections: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timeout_seconds = read_timeout_seconds
        self._max_connections = max_connections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._max_connections:
            # Closed before a byte is read: past the cap, a connection costs nothing but its accept.
            logger.warning(
                "Refused a connection: %d are open (IOS_BACKUP_SERVER__MAX_CONNECTIONS).",
                self._max_connections,
            )
            transport.close()
            return
        self._watch_the_request()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_the_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_the_deadline()
        super().connection_lost(exc)

    def _watch_the_request(self) -> None:
        # Between two requests uvicorn's keep-alive timeout runs instead; it stops at the next byte, which
        # starts this deadline again.
        if self.conn.their_state not in _READING or self.transport.is_closing():
            self._cancel_the_deadline()
        elif self._read_deadline is None:
            self._read_deadline = self.loop.call_later(self._read_timeout_seconds, self._too_slow)

    def _cancel_the_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        self.transport.close()
