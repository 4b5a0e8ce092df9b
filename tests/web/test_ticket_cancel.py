"""取消排队 from the phone: the keyed status page offers it while the ticket waits; the API
cancels through the core's CancelTicket; no key, a wrong key or a called ticket changes
nothing; and a real server keeps the cancellation across `kill -9`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from qms.bench.api import free_port
from qms.web import TicketKeys

from .conftest import HALL, SECRET, Api, bearer
from .test_screen_browser import Hall, demo_hall, start_demo
from .test_ticket_page import embedded


async def cancel(api: Api, ticket: str, **body: Any) -> httpx.Response:
    return await api.client.post(api.url(f"/tickets/{ticket}/cancel"), json=body)


async def waiting(api: Api, service: str = "social") -> int:
    queues = (await api.get("/queues"))["queues"]
    count: int = next(q["waiting"] for q in queues if q["service"] == service)
    return count


@pytest.mark.anyio
async def test_only_the_keyed_page_offers_to_leave_the_queue(api: Api) -> None:
    mine = await api.issue("social", channel="mobile")
    keyed = (await api.client.get(f"/t/{HALL}/{mine['id']}?k={mine['key']}")).text
    settings = embedded(keyed, "ticket-settings")
    assert settings["cancel"] == {"api": f"/api/v1/halls/{HALL}/tickets/{mine['id']}/cancel", "key": mine["key"]}
    assert "取消排队" in keyed and "Leave the queue" in keyed
    plain = (await api.client.get(f"/t/{HALL}/{mine['id']}?k=AAAAAAAAAAAAAAAA")).text
    assert embedded(plain, "ticket-settings")["cancel"] is None and 'id="cancel-open"' not in plain


@pytest.mark.anyio
async def test_cancel_with_the_key_once_and_again(api: Api) -> None:
    mine = await api.issue("social", channel="mobile")
    behind = await api.issue("social")
    assert behind["people_ahead"] == 1 and await waiting(api) == 2
    first = await cancel(api, mine["id"], key=mine["key"])
    assert first.status_code == 200, first.text
    ticket = first.json()["ticket"]
    assert (ticket["state"], ticket["number"]) == ("cancelled", mine["number"]) and ticket["finished_at"]
    assert await waiting(api) == 1
    assert (await api.get(f"/tickets/{behind['id']}"))["ticket"]["people_ahead"] == 0
    again = await cancel(api, mine["id"], key=mine["key"])
    assert (again.status_code, again.json()) == (200, first.json())  # a retried tap: the same answer
    stored = await api.store.load_events(HALL)
    assert [type(ev).__name__ for ev in stored].count("TicketCancelled") == 1
    projected = {t.id: t.state.value for t in await api.store.tickets(HALL)}
    assert projected[mine["id"]] == "cancelled"
    # the staff's list names the state; the day's figures count it apart from no-shows
    listed = await api.client.get(api.url("/tickets?state=cancelled"), headers=bearer("alice"))
    assert [t["number"] for t in listed.json()["tickets"]] == [mine["number"]]
    figures = (await api.client.get(api.url("/efficiency"), headers=bearer("alice"))).json()
    assert (figures["waiting"], figures["no_shows"], figures["cancelled"]) == (1, 0, 1)
    # and no window calls it
    await api.ok("w1", "open")
    called = await api.ok("w1", "call-next")
    assert called["ticket"]["number"] == behind["number"]


@pytest.mark.anyio
async def test_no_key_or_a_wrong_key_is_forbidden_and_changes_nothing(api: Api) -> None:
    mine = await api.issue("social", channel="mobile")
    other = await api.issue("social", channel="mobile")
    for body in ({}, {"key": "AAAAAAAAAAAAAAAA"}, {"key": other["key"]}):
        refused = await cancel(api, mine["id"], **body)
        assert refused.status_code == 403, body
        error = refused.json()["error"]
        assert error["code"] == "invalid_ticket_key" and "二维码" in error["message"] and "QR code" in error["message"]
    assert await waiting(api) == 2
    bad = await cancel(api, mine["id"], key=5)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_input")
    unknown = "20261123-A999"
    missing = await cancel(api, unknown, key=TicketKeys(SECRET).key(HALL, unknown))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "unknown_ticket")


@pytest.mark.anyio
async def test_a_called_ticket_cannot_be_cancelled(api: Api) -> None:
    mine = await api.issue("social", channel="mobile")
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    refused = await cancel(api, mine["id"], key=mine["key"])
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "ticket_called"
    number = mine["number"]
    assert error["message"] == (
        f"{number} 号已叫号，请到窗口办理；如不办理请告知工作人员 / "
        f"ticket {number} has been called: go to the window, or tell the staff"
    )
    assert (await api.get(f"/tickets/{mine['id']}"))["ticket"]["state"] == "called"


@pytest.mark.slow
def test_a_real_server_keeps_the_cancellation_after_kill_9(tmp_path: Path) -> None:
    config, data, port = demo_hall(tmp_path), tmp_path / "data", free_port()
    server = start_demo(config, data, port)
    hall = Hall(port)
    try:
        hall.login()

        def take() -> dict[str, Any]:
            response = hall.http.post("/tickets", json={"service": "pension", "channel": "mobile"})
            assert response.status_code == 201, response.text
            ticket: dict[str, Any] = response.json()["ticket"]
            return ticket

        def pension_waiting() -> int:
            queues = hall.http.get("/queues").json()["queues"]
            count: int = next(q["waiting"] for q in queues if q["service"] == "pension")
            return count

        mine, later = take(), take()
        assert pension_waiting() == 2
        done = hall.http.post(f"/tickets/{mine['id']}/cancel", json={"key": mine["key"]})
        assert done.status_code == 200 and done.json()["ticket"]["state"] == "cancelled"
        assert pension_waiting() == 1
        assert hall.http.post(f"/tickets/{mine['id']}/cancel", json={"key": mine["key"]}).json() == done.json()
        wrong = hall.http.post(f"/tickets/{later['id']}/cancel", json={"key": mine["key"]})
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "invalid_ticket_key")

        server.kill()
        server = start_demo(config, data, port)
        assert hall.http.get(f"/tickets/{mine['id']}").json()["ticket"]["state"] == "cancelled"
        assert pension_waiting() == 1
        hall.act("w1", "open")
        assert hall.act("w1", "call-next")["ticket"]["number"] == later["number"]
        late = hall.http.post(f"/tickets/{later['id']}/cancel", json={"key": later["key"]})
        assert (late.status_code, late.json()["error"]["code"]) == (409, "ticket_called")
    finally:
        server.stop()
        hall.http.close()
