"""How the load test reaches the server, as the hall's devices would.

A `Driver` takes tickets (dispensers, phones), presses window keys (keypads, the staff
page) and follows tickets (citizens' phones, screens). `HttpDriver` does it through the JSON
API; `MqttDriver` (`mqtt.py`) as the dispensers and keypads do, over MQTT. An answer whose
body has `request_key` names the key the server stored the command under (MQTT's
`mqtt/<device>/<msg_id>`); without it the key is the API's `<scope>:<Idempotency-Key>`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from .http import Answer, HttpClient


class Driver(Protocol):
    async def start(self, windows: list[str]) -> None:
        """Connect and sign in; `windows` are the windows this run will drive."""

    async def take_ticket(self, body: dict[str, Any], key: str) -> Answer:
        """A dispenser issues a ticket (201 with {"ticket": {...}})."""

    async def press(self, window: str, action: str, key: str, body: dict[str, Any] | None = None) -> Answer:
        """A window's keypad: open, call-next, start, finish, no-show, pause, resume, close."""

    async def follow(self, ticket: str) -> Answer:
        """A citizen's phone reads its ticket (people ahead, estimated wait)."""

    async def queues(self) -> Answer:
        """A waiting-area screen reads the queues."""

    async def tickets(self) -> Answer:
        """Staff list today's tickets (for the final check)."""

    async def close(self) -> None: ...


class LoadRefused(Exception):
    """The server will not take the load test as asked (a wrong login or hall): said to the person."""


class HttpDriver:
    """The JSON API over keep-alive connections: a pool for dispensers, one per window, a pool for phones."""

    def __init__(
        self, host: str, port: int, hall: str, username: str, password: str, dispensers: int = 16, phones: int = 32
    ) -> None:
        self.host, self.port, self.hall = host, port, hall
        self.username, self.password = username, password
        self._sizes = (dispensers, phones)
        self._dispensers: asyncio.Queue[HttpClient] = asyncio.Queue()
        self._phones: asyncio.Queue[HttpClient] = asyncio.Queue()
        self._keypads: dict[str, HttpClient] = {}
        self._staff: HttpClient | None = None
        self.base = f"/api/v1/halls/{hall}"

    async def start(self, windows: list[str]) -> None:
        login = HttpClient(self.host, self.port)
        try:
            answer = await login.request(
                "POST", "/api/v1/auth/login", {"username": self.username, "password": self.password}
            )
            hall = await login.request("GET", f"{self.base}/queues")
        finally:
            await login.close()
        if answer.status != 200:
            code = answer.body.get("error", {}).get("code", answer.status)
            raise LoadRefused(
                f"the server refused the login as {self.username!r} ({code}): check --username and --password"
            )
        if hall.status == 404:
            raise LoadRefused(f"the server has no hall {self.hall!r}: give its id with --hall")
        token = str(answer.body["token"])
        for _ in range(self._sizes[0]):
            self._dispensers.put_nowait(HttpClient(self.host, self.port))
        for _ in range(self._sizes[1]):
            self._phones.put_nowait(HttpClient(self.host, self.port))
        self._keypads = {w: HttpClient(self.host, self.port, token) for w in windows}
        self._staff = HttpClient(self.host, self.port, token)

    async def _pooled(self, pool: asyncio.Queue[HttpClient], method: str, path: str, **kw: Any) -> Answer:
        client = await pool.get()
        try:
            return await client.request(method, path, **kw)
        finally:
            pool.put_nowait(client)

    async def take_ticket(self, body: dict[str, Any], key: str) -> Answer:
        if body.get("channel") in ("green", "booking", "staff"):
            assert self._staff is not None  # staff-issued tickets need the staff token
            return await self._staff.request("POST", f"{self.base}/tickets", body=body, key=key)
        return await self._pooled(self._dispensers, "POST", f"{self.base}/tickets", body=body, key=key)

    async def press(self, window: str, action: str, key: str, body: dict[str, Any] | None = None) -> Answer:
        return await self._keypads[window].request(
            "POST", f"{self.base}/windows/{window}/{action}", body=body or {}, key=key
        )

    async def follow(self, ticket: str) -> Answer:
        return await self._pooled(self._phones, "GET", f"{self.base}/tickets/{ticket}")

    async def queues(self) -> Answer:
        return await self._pooled(self._phones, "GET", f"{self.base}/queues")

    async def tickets(self) -> Answer:
        assert self._staff is not None
        return await self._staff.request("GET", f"{self.base}/tickets")

    async def close(self) -> None:
        clients = [*self._keypads.values(), *([self._staff] if self._staff else [])]
        for pool in (self._dispensers, self._phones):
            while not pool.empty():
                clients.append(pool.get_nowait())
        for client in clients:
            await client.close()
