"""Taking tickets, following them, listing them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .conftest import START, Api, bearer

pytestmark = pytest.mark.anyio

VALID_ID = "11010519491231002X"  # born 1949: the elderly class


async def test_issue_at_a_kiosk(api: Api) -> None:
    ticket = await api.issue("social")
    assert ticket["id"] == "20261123-A001"
    assert ticket["number"] == "A001"
    assert ticket["service"] == "social"
    assert ticket["service_name"] == "社保卡办理"
    assert ticket["state"] == "waiting"
    assert ticket["channel"] == "kiosk"
    assert ticket["priority"] == "normal"
    assert ticket["people_ahead"] == 0
    assert ticket["eta_minutes"] == 0
    assert ticket["issued_at"] == START.isoformat()
    assert ticket["window"] is None and ticket["called_at"] is None
    second = await api.issue("social", channel="mobile")
    assert second["number"] == "A002"
    assert second["people_ahead"] == 1
    assert second["eta_minutes"] > 0


async def test_chinese_stays_readable_in_the_body(api: Api) -> None:
    response = await api.client.post(api.url("/tickets"), json={"service": "social"})
    assert "社保卡办理".encode() in response.content
    assert response.headers["content-type"].startswith("application/json")


async def test_masked_identifiers(api: Api) -> None:
    ticket = await api.issue("social", id_number=VALID_ID, phone="13812341234")
    assert ticket["id_masked"] == "1101**********002X"
    assert ticket["phone_masked"] == "138****1234"
    assert ticket["priority"] == "elderly"
    public = await api.get(f"/tickets/{ticket['id']}")
    assert "id_masked" not in public["ticket"] and "phone_masked" not in public["ticket"]


async def test_bad_identifiers_are_422_with_the_core_code(api: Api) -> None:
    response = await api.client.post(api.url("/tickets"), json={"service": "social", "phone": "12345"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_phone"
    response = await api.client.post(api.url("/tickets"), json={"service": "social", "id_number": "110105194912310021"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_id_number"


async def test_staff_channels_need_a_token(api: Api) -> None:
    for body in (
        {"service": "social", "channel": "staff"},
        {"service": "social", "channel": "green"},
        {"service": "social", "channel": "booking", "appointment_at": START.isoformat()},
        {"service": "social", "priority": "green"},
    ):
        response = await api.client.post(api.url("/tickets"), json=body)
        assert response.status_code == 401, body
        assert response.json()["error"]["code"] == "auth_required"
        assert response.headers["www-authenticate"].startswith("Bearer")
    green = await api.client.post(
        api.url("/tickets"), json={"service": "social", "channel": "green"}, headers=bearer("alice")
    )
    assert green.status_code == 201
    assert green.json()["ticket"]["priority"] == "green"
    staff_green = await api.client.post(
        api.url("/tickets"), json={"service": "social", "channel": "staff", "priority": "green"}, headers=bearer("bob")
    )
    assert staff_green.json()["ticket"]["priority"] == "green"


async def test_booking_check_in(api: Api) -> None:
    slot = START + timedelta(minutes=10)
    response = await api.client.post(
        api.url("/tickets"),
        json={"service": "social", "channel": "booking", "appointment_at": slot.isoformat()},
        headers=bearer("alice"),
    )
    assert response.status_code == 201, response.text
    ticket = response.json()["ticket"]
    assert ticket["priority"] == "booking"
    assert ticket["appointment_at"] == slot.isoformat()
    naive = await api.client.post(
        api.url("/tickets"),
        json={"service": "social", "channel": "booking", "appointment_at": "2026-11-23T10:10:00"},
        headers=bearer("alice"),
    )
    assert naive.status_code == 422
    early = await api.client.post(
        api.url("/tickets"),
        json={"service": "social", "channel": "booking", "appointment_at": (START + timedelta(hours=3)).isoformat()},
        headers=bearer("alice"),
    )
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "booking_too_early"


async def test_idempotency_key_returns_the_same_ticket(api: Api) -> None:
    headers = {"Idempotency-Key": "kiosk-3-000042"}
    first = await api.client.post(api.url("/tickets"), json={"service": "social"}, headers=headers)
    again = await api.client.post(api.url("/tickets"), json={"service": "social"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["ticket"]["id"] == again.json()["ticket"]["id"]
    other = await api.client.post(api.url("/tickets"), json={"service": "social"}, headers={"Idempotency-Key": "x"})
    assert other.json()["ticket"]["number"] == "A002"
    assert len((await api.get("/tickets", headers=bearer("alice")))["tickets"]) == 2
    bad = await api.client.post(api.url("/tickets"), json={"service": "social"}, headers={"Idempotency-Key": "a b"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_idempotency_key"


async def test_follow_a_ticket_until_it_is_called(api: Api) -> None:
    ticket = await api.issue("social")
    await api.ok("w2", "open")
    await api.ok("w2", "call-next")
    shown = (await api.get(f"/tickets/{ticket['id']}"))["ticket"]
    assert shown["state"] == "called"
    assert shown["window"] == "w2" and shown["window_number"] == 2
    assert shown["people_ahead"] == 0 and shown["eta_minutes"] == 0
    assert shown["called_at"] == START.isoformat()
    assert "note" not in shown and "staff" not in shown


async def test_unknown_ticket_and_service(api: Api) -> None:
    response = await api.client.get(api.url("/tickets/20261123-A999"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_ticket"
    response = await api.client.post(api.url("/tickets"), json={"service": "passport"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_service"


async def test_list_needs_staff_and_filters(api: Api) -> None:
    a = await api.issue("social")
    b = await api.issue("tax", note="带齐材料")
    assert (await api.client.get(api.url("/tickets"))).status_code == 401
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    everything = (await api.get("/tickets", headers=bearer("bob")))["tickets"]
    assert [t["id"] for t in everything] == [a["id"], b["id"]]
    assert everything[1]["note"] == "带齐材料"
    waiting = (await api.get("/tickets?state=waiting", headers=bearer("bob")))["tickets"]
    assert [t["id"] for t in waiting] == [b["id"]]
    both = (await api.get("/tickets?state=waiting&state=called", headers=bearer("bob")))["tickets"]
    assert len(both) == 2
    tax = (await api.get("/tickets?service=tax", headers=bearer("bob")))["tickets"]
    assert [t["id"] for t in tax] == [b["id"]]
    bad = await api.client.get(api.url("/tickets?state=lost"), headers=bearer("bob"))
    assert bad.status_code == 422
    unknown = await api.client.get(api.url("/tickets?service=passport"), headers=bearer("bob"))
    assert unknown.status_code == 404


async def test_refused_issue_changes_nothing(api: Api) -> None:
    await api.issue("tax")
    await api.issue("tax")
    before = await api.get("/tickets", headers=bearer("alice"))
    queues_before = await api.get("/queues")
    response = await api.client.post(api.url("/tickets"), json={"service": "tax"})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "daily_cap_reached",
        "message": response.json()["error"]["message"],
    }
    assert "2" in response.json()["error"]["message"]
    assert await api.get("/tickets", headers=bearer("alice")) == before
    assert await api.get("/queues") == queues_before


async def test_reactivate_a_no_show(api: Api) -> None:
    ticket = await api.issue("social")
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    await api.ok("w1", "no-show")
    url = api.url(f"/tickets/{ticket['id']}/reactivate")
    assert (await api.client.post(url)).status_code == 401
    response = await api.client.post(url, headers=bearer("bob"))  # any staff member, any window
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ticket"]["state"] == "waiting"
    assert [e["type"] for e in body["events"]] == ["TicketReactivated"]
    again = await api.client.post(url, headers=bearer("bob"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ticket_waiting"
    missing = await api.client.post(api.url("/tickets/20261123-A404/reactivate"), headers=bearer("bob"))
    assert missing.status_code == 404


async def test_escalation_needs_an_escalation_service(api: Api) -> None:
    ticket = await api.issue("social")
    body = {"service": "social", "escalation": {"ticket": ticket["id"], "window": "w1"}}
    response = await api.client.post(api.url("/tickets"), json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_escalation_service"
