"""A stream read while its session is locked: what the client received of it before the server stopped."""

import httpx


def received_until_locked(
    client: httpx.Client,
    backup_id: str,
    path: str,
    session: dict[str, str],
    params: dict[str, str] | None = None,
) -> int:
    """Reads the first chunk of GET `path`, locks the session, reads on until the server stops sending."""
    received = 0
    with client.stream("GET", path, params=params, headers=session) as response:
        chunks = response.iter_raw(65536)
        received += len(next(chunks))
        assert client.post(f"/backups/{backup_id}/lock", headers=session).status_code == 204
        try:
            for chunk in chunks:
                received += len(chunk)
        except httpx.RemoteProtocolError:
            pass  # the body was cut short (of its Content-Length, or of its last chunk), as it must be
    return received
