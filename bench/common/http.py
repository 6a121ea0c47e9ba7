"""A lean HTTP/1.1 keep-alive client on asyncio streams: its own cost per request is tens of microseconds,
so on two cores shared with the server the figures measure the server, not the client."""

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from common.server import TOKEN, Server


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    """From sending the request to the last byte of the body."""

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    def __init__(self, server: Server, session: str | None = None) -> None:
        self._server = server
        self._headers = {"Host": f"{server.host}:{server.port}", "X-API-Token": TOKEN}
        if session is not None:
            self._headers["X-Backup-Session"] = session
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> "Connection":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._server.host, self._server.port)
        assert self._reader is not None
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in {**self._headers, **(headers or {})}.items()]
        if body is not None or method == "POST":
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        started = time.perf_counter()
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        content = await self._read_body(fields)
        seconds = time.perf_counter() - started
        if fields.get("connection") == "close":
            await self.close()
        return Response(int(status_line.split()[1]), fields, content, seconds)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, headers=headers)

    async def _read_body(self, fields: dict[str, str]) -> bytes:
        assert self._reader is not None
        if "content-length" in fields:
            return await self._reader.readexactly(int(fields["content-length"]))
        if fields.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self._reader.readexactly(size + 2))
                if size == 0:
                    return b"".join(part[:-2] for part in parts)
        return b""


async def unlock(server: Server, backup_id: str, passphrase: str) -> tuple[str, float]:
    """A new session's token, and how long the unlock took as the client saw it."""
    async with Connection(server) as connection:
        response = await connection.request("POST", f"/backups/{backup_id}/unlock", {"password": passphrase})
    if response.status != 200:
        raise RuntimeError(f"unlock answered {response.status}: {response.body!r}")
    return response.json()["session_token"], response.seconds


async def lock(server: Server, backup_id: str, session: str) -> None:
    async with Connection(server, session) as connection:
        response = await connection.request("POST", f"/backups/{backup_id}/lock")
    if response.status != 204:
        raise RuntimeError(f"lock answered {response.status}: {response.body!r}")


async def all_rows(server: Server, session: str, backup_id: str, page: int = 1000) -> tuple[float, int]:
    """(seconds, rows) to page through every entry of a manifest, `page` a page, on one connection."""
    listed, started = 0, time.perf_counter()
    async with Connection(server, session) as connection:
        while True:
            response = await connection.get(f"/backups/{backup_id}/files?limit={page}&offset={listed}")
            if response.status != 200:
                raise RuntimeError(f"all rows: {response.status} {response.body[:200]!r}")
            answer = response.json()
            listed += len(answer["items"])
            if listed >= answer["total"] or not answer["items"]:
                return time.perf_counter() - started, listed


async def all_lines(server: Server, session: str, backup_id: str) -> tuple[float, int]:
    """(seconds, rows) to read every entry of a manifest from `/files.ndjson`, each line parsed by the
    standard library's `json` as it arrives (as a client that streams it does): the time to the last entry
    parsed."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        head = (
            f"GET /backups/{backup_id}/files.ndjson HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
            f"X-API-Token: {TOKEN}\r\nX-Backup-Session: {session}\r\n\r\n"
        )
        writer.write(head.encode())
        status_line, *header_lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        fields = {
            name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)
        }
        if int(status_line.split()[1]) != 200 or fields.get("transfer-encoding") != "chunked":
            raise RuntimeError(f"all lines: {status_line} {fields}")
        listed, pending = 0, b""
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            *lines, pending = (pending + (await reader.readexactly(size + 2))[:-2]).split(b"\n")
            for line in lines:
                json.loads(line)
            listed += len(lines)
        await reader.readexactly(2)
        if pending or listed != int(fields["x-total-count"]):
            raise RuntimeError(f"all lines: {listed} of {fields['x-total-count']}, {len(pending)} bytes left")
        return time.perf_counter() - started, listed
    finally:
        writer.close()
