"""uvicorn's HTTP/1.1 protocol (h11) with what it lacks: a deadline on reading each request, and a cap on open
connections. Without them a client that sends half a request, or nothing, holds its connection forever, and
enough such clients exhaust the process's descriptors."""

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger("ios_backup_api")

# The client's side of the connection while a request is still on its way: its head (IDLE: the first byte may
# have come) or its body.
_READING = (h11.IDLE, h11.SEND_BODY)


def h11_with_limits(read_timeout_seconds: float, max_connections: int) -> type[H11Protocol]:
    class LimitedH11Protocol(H11Protocol):
        _read_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                # Closed before a byte is read: past the cap, a connection costs nothing but its accept.
                logger.warning(
                    "Refused a connection: %d are open (IOS_BACKUP_SERVER__MAX_CONNECTIONS).", max_connections
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
                self._read_deadline = self.loop.call_later(read_timeout_seconds, self._too_slow)

        def _cancel_the_deadline(self) -> None:
            if self._read_deadline is not None:
                self._read_deadline.cancel()
                self._read_deadline = None

        def _too_slow(self) -> None:
            self._read_deadline = None
            self.transport.close()

    return LimitedH11Protocol
