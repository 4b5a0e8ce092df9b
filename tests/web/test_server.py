"""The app under a real uvicorn on 127.0.0.1: HTTP with httpx, the event stream with websockets."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
import websockets

from qms.service import HallService
from qms.storage import SqliteStore
from qms.web import create_app

from .conftest import ACCOUNTS, HALL, PASSWORD, SECRET, START, FakeClock, hall_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_uvicorn_serves_the_api(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "server.db")
    service = HallService(hall_config(), store, clock=FakeClock(START))

    @asynccontextmanager
    async def runtime() -> AsyncIterator[None]:
        await store.open()
        await service.start()
        try:
            yield
        finally:
            await service.stop()
            await store.close()

    app = create_app({HALL: service}, ACCOUNTS, SECRET, runtime=runtime)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # port 0: the OS picks a free one, and we keep the socket
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        base = f"http://127.0.0.1:{port}/api/v1"
        async with httpx.AsyncClient(base_url=base) as client:
            health = await client.get("/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            async with websockets.connect(f"ws://127.0.0.1:{port}/api/v1/halls/{HALL}/events") as ws:
                snapshot = json.loads(await ws.recv())
                assert snapshot["type"] == "snapshot"
                response = await client.post(f"/halls/{HALL}/tickets", json={"service": "social"})
                assert response.status_code == 201
                assert response.json()["ticket"]["number"] == "A001"
                event = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert event["type"] == "TicketIssued" and event["ticket"]["number"] == "A001"
            login = await client.post("/auth/login", json={"username": "alice", "password": PASSWORD})
            token = login.json()["token"]
            opened = await client.post(f"/halls/{HALL}/windows/w1/open", headers={"Authorization": f"Bearer {token}"})
            assert opened.status_code == 200
            missing = await client.get("/nothing")
            assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
        sock.close()
    assert service.hall.tickets() != []
