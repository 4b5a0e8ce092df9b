"""The websocket event stream, through Starlette's TestClient (the app runs on its own loop,
so the hall is started by the app's lifespan through `runtime`)."""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from starlette.websockets import WebSocketDisconnect

from qms.core.events import WindowPaused
from qms.service import HallService
from qms.storage import SqliteStore
from qms.web import create_app

from .conftest import ACCOUNTS, HALL, SECRET, START, FakeClock, bearer, hall_config

with warnings.catch_warnings():
    # Starlette 1.x asks for `httpx2` under its TestClient and warns when it finds httpx;
    # the TestClient works the same with either. Drop this once httpx2 is a dev dependency.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

EVENTS = f"/api/v1/halls/{HALL}/events"


class Hall:
    """A hall service made outside any loop and started by the app's lifespan."""

    def __init__(self, path: Path) -> None:
        self.store = SqliteStore(path / "ws.db")
        self.service = HallService(hall_config(), self.store, clock=FakeClock(START))

    @asynccontextmanager
    async def runtime(self) -> AsyncIterator[None]:
        await self.store.open()
        await self.service.start()
        try:
            yield
        finally:
            await self.service.stop()
            await self.store.close()


@pytest.fixture
def hall(tmp_path: Path) -> Hall:
    return Hall(tmp_path)


@pytest.fixture
def client(hall: Hall) -> Iterator[TestClient]:
    app = create_app({HALL: hall.service}, ACCOUNTS, SECRET, runtime=hall.runtime, subscriber_queue=4)
    with TestClient(app) as client:
        yield client


def issue(client: TestClient, service: str = "social") -> dict[str, Any]:
    response = client.post(f"/api/v1/halls/{HALL}/tickets", json={"service": service})
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()["ticket"]
    return ticket


def test_snapshot_then_events(client: TestClient) -> None:
    issue(client)
    with client.websocket_connect(EVENTS) as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot" and first["hall"] == HALL
        assert first["at"] == START.isoformat()
        assert [w["id"] for w in first["windows"]] == ["w1", "w2", "issue-9"]
        assert {q["service"]: q["waiting"] for q in first["queues"]} == {"social": 1, "tax": 0, "issuing": 0}

        ticket = issue(client, "tax")
        issued = ws.receive_json()
        assert issued["type"] == "TicketIssued"
        assert issued["ticket"]["id"] == ticket["id"]
        assert issued["ticket"]["service"] == "tax"

        response = client.post(f"/api/v1/halls/{HALL}/windows/w1/open", headers=bearer("alice"))
        assert response.status_code == 200
        opened = ws.receive_json()
        assert opened == {"type": "WindowOpened", "window": "w1", "staff": "alice", "at": START.isoformat()}
        client.post(f"/api/v1/halls/{HALL}/windows/w1/call-next", headers=bearer("alice"))
        called = ws.receive_json()
        assert called["type"] == "TicketCalled" and called["window"] == "w1"


def test_subscription_ends_when_the_client_goes(client: TestClient, hall: Hall) -> None:
    with client.websocket_connect(EVENTS) as ws:
        ws.receive_json()
        assert len(hall.service.fanout) == 1
    deadline = time.monotonic() + 5
    while len(hall.service.fanout) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(hall.service.fanout) == 0


def test_unknown_hall_is_refused(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/api/v1/halls/nowhere/events"):
        pass
    assert refused.value.code == 4404


def test_a_client_that_falls_behind_is_cut_off_with_1013(client: TestClient, hall: Hall) -> None:
    with client.websocket_connect(EVENTS) as ws:
        ws.receive_json()
        burst = [WindowPaused("w1", f"burst {i}", START) for i in range(10)]  # more than subscriber_queue=4

        async def publish() -> None:  # on the app's loop: the fan-out is not thread-safe
            hall.service.fanout.publish(burst)

        assert client.portal is not None
        client.portal.call(publish)
        with pytest.raises(WebSocketDisconnect) as cut:
            while True:
                ws.receive_json()
        assert cut.value.code == 1013


def test_stopping_the_hall_closes_with_1012(client: TestClient, hall: Hall) -> None:
    with client.websocket_connect(EVENTS) as ws:
        ws.receive_json()
        assert client.portal is not None
        client.portal.call(hall.service.stop)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1012


def test_public_stream_leaves_out_citizens_identifiers(client: TestClient) -> None:
    with client.websocket_connect(EVENTS) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        body = {"service": "social", "phone": "13812345678", "id_number": "11010519491231002X"}
        response = client.post(f"/api/v1/halls/{HALL}/tickets", json=body)
        assert response.status_code == 201 and response.json()["ticket"]["phone_masked"] == "138****5678"
        issued = ws.receive_json()
        assert issued["type"] == "TicketIssued"
        assert not {"id_masked", "phone_masked", "note"} & set(issued["ticket"])
