"""Every error is JSON with a stable code and the right status; never an HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from qms.core.errors import QmsError
from qms.storage import Record, SqliteStore
from qms.storage.errors import StorageError
from qms.web.errors import CatchAll, status_for

from .conftest import Api, FakeClock, bearer, running_hall

pytestmark = pytest.mark.anyio


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    code: str = body["error"]["code"]
    return code


async def post_raw(api: Api, content: bytes, **headers: str) -> httpx.Response:
    return await api.client.post(api.url("/tickets"), content=content, headers=headers)


async def test_invalid_json(api: Api) -> None:
    assert error(await post_raw(api, b"{service: social}"), 422) == "invalid_json"
    assert error(await post_raw(api, b"\xff\xfe"), 422) == "invalid_json"
    assert error(await post_raw(api, b'["social"]'), 422) == "invalid_input"
    assert error(await post_raw(api, b'"social"'), 422) == "invalid_input"


async def test_field_errors(api: Api) -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"service": 7},
        {"service": "social", "servcie": "tax"},
        {"service": "social", "channel": "fax"},
        {"service": "social", "priority": True},
        {"service": "social", "note": ["a"]},
        {"service": "social", "appointment_at": "tomorrow"},
        {"service": "social", "escalation": "A001"},
        {"service": "social", "escalation": {"ticket": "x", "why": "y"}},
    ]
    for body in cases:
        assert error(await api.client.post(api.url("/tickets"), json=body), 422) == "invalid_input", body
    response = await api.client.post(api.url("/tickets"), json={"service": "social", "servcie": "tax"})
    assert "servcie" in response.json()["error"]["message"]


async def test_body_too_large(api: Api) -> None:
    big = b'{"service": "social", "note": "' + b"x" * 20_000 + b'"}'
    assert error(await post_raw(api, big), 413) == "body_too_large"

    async def chunks() -> Any:  # no Content-Length: the cap applies while streaming
        for _ in range(40):
            yield b" " * 1024

    response = await api.client.post(api.url("/tickets"), content=chunks())
    assert error(response, 413) == "body_too_large"
    assert (await api.get("/queues"))["queues"][0]["waiting"] == 0


async def test_unknown_hall_route_and_method(api: Api) -> None:
    assert error(await api.client.get("/api/v1/halls/nowhere/queues"), 404) == "unknown_hall"
    assert error(await api.client.post("/api/v1/halls/nowhere/tickets", json={"service": "a"}), 404) == "unknown_hall"
    assert error(await api.client.get("/api/v1/nothing"), 404) == "not_found"
    assert error(await api.client.get("/"), 404) == "not_found"
    response = await api.client.delete(api.url("/tickets"))
    assert error(response, 405) == "method_not_allowed"
    assert "GET" in response.headers["allow"]
    assert error(await api.client.get(api.url("/windows/w1/open")), 405) == "method_not_allowed"


async def test_stopped_hall_is_503(api: Api) -> None:
    await api.service.stop()
    response = await api.client.post(api.url("/tickets"), json={"service": "social"})
    assert error(response, 503) == "hall_stopped"
    assert response.headers["retry-after"] == "1"


class FlakyStore(SqliteStore):
    """A real SQLite store whose next append fails, as a full disk would."""

    fail_next = False

    async def append(self, hall: str, records: list[Record]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise StorageError("disk I/O error")
        await super().append(hall, records)


async def test_storage_failure_is_503_and_changes_nothing(tmp_path: Path, clock: FakeClock) -> None:
    from qms.web import create_app

    from .conftest import ACCOUNTS, HALL, SECRET

    store = FlakyStore(tmp_path / "flaky.db")
    async with running_hall(tmp_path, clock, store) as service:
        app = create_app({HALL: service}, ACCOUNTS, SECRET)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            url = f"/api/v1/halls/{HALL}/tickets"
            store.fail_next = True
            assert error(await client.post(url, json={"service": "social"}), 503) == "storage_unavailable"
            listed = await client.get(url, headers=bearer("alice"))
            assert listed.json()["tickets"] == []
            retry = await client.post(url, json={"service": "social"})
            assert retry.status_code == 201 and retry.json()["ticket"]["number"] == "A001"


async def test_catch_all_answers_json_500(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=CatchAll(broken))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/anything")
    assert error(response, 500) == "internal_error"
    assert "a bug" not in response.text
    assert "unexpected error" in caplog.text


def test_status_mapping() -> None:
    assert status_for(QmsError("?")) == 500
    assert status_for(StorageError("?")) == 503
