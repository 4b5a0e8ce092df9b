"""A small keep-alive HTTP/1.1 JSON client on asyncio streams, for loopback load tests.

Hundreds of these cost the load generator far less than a general client would, which
matters when the generator and the server share two cores. Only loopback addresses are
accepted: a load test never sends traffic anywhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class NotLoopback(ValueError):
    pass


def loopback(url: str) -> tuple[str, int]:
    """(host, port) of an http:// URL on this machine, or NotLoopback."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise NotLoopback(f"{url}: only http:// URLs on this machine are load-tested")
    return check_loopback(url, parts.hostname or ""), parts.port or 80


def check_loopback(url: str, host: str) -> str:
    """`host` as an address to connect to, if it is on this machine; NotLoopback if not."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise NotLoopback(f"{url}: give a loopback address such as 127.0.0.1") from None
    if not address.is_loopback:
        raise NotLoopback(f"{url}: {host} is not a loopback address; load tests stay on this machine")
    return host


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]
    seconds: float


class HttpClient:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self.host, self.port, self.token = host, port, token
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()  # one request at a time on a connection (HTTP/1.1 without pipelining)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._reader = self._writer = None

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None
    ) -> Answer:
        """Send one request and read its JSON answer; one retry on a connection closed meanwhile."""
        async with self._lock:
            return await self._request(method, path, body, key)

    async def _request(self, method: str, path: str, body: dict[str, Any] | None, key: str | None) -> Answer:
        payload = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(payload)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        if self.token:
            head.append(f"Authorization: Bearer {self.token}")
        if key:
            head.append(f"Idempotency-Key: {key}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        for attempt in (1, 2):
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            t0 = time.perf_counter()
            try:
                assert self._reader is not None
                self._writer.write(raw)
                status, data, keep = await _read_response(self._reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - t0
            if not keep:
                await self.close()
            try:
                parsed = json.loads(data) if data else {}
            except json.JSONDecodeError:
                parsed = {"error": {"code": "not_json", "message": data[:200].decode(errors="replace")}}
            return Answer(status, parsed if isinstance(parsed, dict) else {"value": parsed}, seconds)
        raise AssertionError("unreachable")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, keep = 0, True
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
    return status, await reader.readexactly(length), keep
