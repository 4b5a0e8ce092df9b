"""Window actions through the API: the whole life of a ticket, every action, who may act."""

from __future__ import annotations

import pytest

from .conftest import Api, bearer

pytestmark = pytest.mark.anyio


async def test_full_life_of_a_ticket(api: Api) -> None:
    ticket = await api.issue("social")
    opened = await api.ok("w1", "open")
    assert opened["window"]["state"] == "idle" and opened["window"]["staff"] == "alice"
    assert opened["ticket"] is None
    assert [e["type"] for e in opened["events"]] == ["WindowOpened"]

    called = await api.ok("w1", "call-next")
    assert called["ticket"]["id"] == ticket["id"]
    assert called["ticket"]["state"] == "called"
    assert called["window"]["state"] == "calling"
    assert called["window"]["ticket_number"] == "A001"
    assert called["events"][0]["type"] == "TicketCalled"
    assert "message" not in called

    started = await api.ok("w1", "start")
    assert started["ticket"]["state"] == "serving" and started["window"]["state"] == "serving"

    finished = await api.ok("w1", "finish", outcome="completed")
    assert finished["ticket"]["state"] == "finished"
    assert finished["ticket"]["outcome"] == "completed"
    assert finished["window"]["state"] == "idle" and finished["window"]["ticket"] is None
    assert [e["type"] for e in finished["events"]] == ["ServiceFinished"]

    shown = await api.get(f"/tickets/{ticket['id']}")
    assert shown["ticket"]["state"] == "finished"
    closed = await api.ok("w1", "close")
    assert closed["window"]["state"] == "closed" and closed["window"]["staff"] is None


async def test_call_next_with_nobody_waiting(api: Api) -> None:
    await api.ok("w1", "open")
    body = await api.ok("w1", "call-next")
    assert body["ticket"] is None
    assert body["events"] == []
    assert "nobody is waiting" in body["message"]
    assert body["window"]["state"] == "idle"


async def test_pause_and_resume(api: Api) -> None:
    await api.ok("w1", "open")
    paused = await api.ok("w1", "pause", reason="午休")
    assert paused["window"]["state"] == "paused" and paused["window"]["pause_reason"] == "午休"
    windows = await api.get("/windows")
    assert windows["windows"][0]["pause_reason"] == "午休"
    refused = await api.act("w1", "call-next")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "window_paused"
    resumed = await api.ok("w1", "resume")
    assert resumed["window"]["state"] == "idle" and resumed["window"]["pause_reason"] == ""


async def test_call_out_of_order_and_recall(api: Api) -> None:
    await api.issue("social")
    second = await api.issue("social")
    await api.ok("w1", "open")
    no_reason = await api.act("w1", "call", ticket=second["id"])
    assert no_reason.status_code == 422 and no_reason.json()["error"]["code"] == "reason_required"
    called = await api.ok("w1", "call", ticket=second["id"], reason="行动不便")
    assert called["ticket"]["id"] == second["id"]
    assert called["events"][0]["out_of_order"] is True

    too_soon = await api.act("w1", "recall")
    assert too_soon.status_code == 409 and too_soon.json()["error"]["code"] == "recall_cooldown"
    api.clock.advance(20)
    recalled = await api.ok("w1", "recall")
    assert recalled["ticket"]["call_count"] == 2
    assert recalled["events"][0]["recall"] is True
    api.clock.advance(20)
    limit = await api.act("w1", "recall")
    assert limit.status_code == 409 and limit.json()["error"]["code"] == "recall_limit"
    no_show = await api.ok("w1", "no-show")
    assert no_show["ticket"]["state"] == "no_show"
    assert no_show["window"]["state"] == "idle"


async def test_transfer_keeps_the_ticket_moving(api: Api) -> None:
    ticket = await api.issue("social")
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    missing = await api.act("w1", "transfer")
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "transfer_target_missing"
    unknown = await api.act("w1", "transfer", to_service="passport")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_service"
    moved = await api.ok("w1", "transfer", to_service="tax", to_window="w2", reason="需税务审核")
    assert moved["ticket"]["id"] == ticket["id"]
    assert moved["ticket"]["state"] == "waiting"
    assert moved["ticket"]["service"] == "tax" and moved["ticket"]["target_window"] == "w2"
    assert moved["window"]["state"] == "idle"
    await api.ok("w2", "open", user="bob")
    again = await api.ok("w2", "call-next", user="bob")
    assert again["ticket"]["id"] == ticket["id"]


async def test_finish_with_a_next_step(api: Api) -> None:
    ticket = await api.issue("social")
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    bad = await api.act("w1", "finish", outcome="transferred")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "use_transfer"
    wrong_type = await api.act("w1", "finish", outcome=3)
    assert wrong_type.status_code == 422 and wrong_type.json()["error"]["code"] == "invalid_input"
    done = await api.ok("w1", "finish", outcome="accepted", next_service="issuing")
    assert done["ticket"]["state"] == "waiting" and done["ticket"]["service"] == "issuing"
    assert [s["outcome"] for s in done["ticket"]["steps"]] == ["accepted"]
    await api.ok("issue-9", "open", user="bob")
    issued = await api.ok("issue-9", "call-next", user="bob")
    assert issued["ticket"]["id"] == ticket["id"]


async def test_hold_and_unhold(api: Api) -> None:
    ticket = await api.issue("social")
    await api.issue("social")
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    await api.ok("w1", "start")
    held = await api.ok("w1", "hold", reason="回去取材料")
    assert held["ticket"]["id"] == ticket["id"] and held["ticket"]["state"] == "held"
    assert held["window"]["state"] == "idle"
    nobody = await api.act("w1", "unhold")
    assert nobody.status_code == 422 and nobody.json()["error"]["code"] == "invalid_input"
    back = await api.ok("w1", "unhold", ticket=ticket["id"])
    assert back["ticket"]["state"] == "called" and back["window"]["ticket"] == ticket["id"]


async def test_illegal_actions_are_409_and_change_nothing(api: Api) -> None:
    await api.issue("social")
    before_windows = await api.get("/windows")
    before_tickets = await api.get("/tickets", headers=bearer("alice"))
    for action in ("close", "pause", "resume", "call-next", "recall", "no-show", "start", "finish", "hold"):
        response = await api.act("w1", action)
        assert response.status_code == 409, action
        assert response.json()["error"]["code"].startswith("window_"), action  # window_closed, ...
    await api.ok("w1", "open")
    twice = await api.act("w1", "open")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "window_open"
    start = await api.act("w1", "start")
    assert start.status_code == 409 and start.json()["error"]["code"] == "no_ticket_at_window"
    assert (await api.get("/tickets", headers=bearer("alice"))) == before_tickets
    after = await api.get("/windows")
    assert after["windows"][1:] == before_windows["windows"][1:]


async def test_unknown_window_and_action(api: Api) -> None:
    response = await api.act("w7", "open")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_window"
    response = await api.act("w1", "dance")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_action"
    response = await api.act("w1", "pause", mood="tired")
    assert response.status_code == 422 and "mood" in response.json()["error"]["message"]


async def test_only_the_staff_at_the_window_may_act(api: Api) -> None:
    await api.issue("social")
    assert (await api.client.post(api.url("/windows/w1/open"))).status_code == 401
    await api.ok("w1", "open", user="alice")
    other = await api.act("w1", "call-next", user="bob")
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "not_your_window"
    steal = await api.act("w1", "open", user="bob")
    assert steal.status_code == 409  # already open: the hall says so
    admin = await api.ok("w1", "call-next", user="root")
    assert admin["ticket"]["number"] == "A001"
    assert admin["window"]["staff"] == "alice"
    assert (await api.ok("w1", "start", user="alice"))["ticket"]["state"] == "serving"


async def test_listed_windows_restrict_where_staff_may_open(api: Api) -> None:
    refused = await api.act("w1", "open", user="carol")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "window_not_allowed"
    assert (await api.get("/windows"))["windows"][0]["state"] == "closed"
    await api.ok("w2", "open", user="carol")
    await api.ok("issue-9", "open", user="root")  # an admin may open any window


async def test_idempotent_window_action(api: Api) -> None:
    await api.issue("social")
    await api.issue("social")
    await api.ok("w1", "open")
    headers = {**bearer("alice"), "Idempotency-Key": "press-17"}
    first = await api.client.post(api.url("/windows/w1/call-next"), headers=headers)
    again = await api.client.post(api.url("/windows/w1/call-next"), headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["ticket"]["number"] == again.json()["ticket"]["number"] == "A001"
    assert again.json()["events"] == first.json()["events"]
    waiting = await api.get("/tickets?state=waiting", headers=bearer("alice"))
    assert [t["number"] for t in waiting["tickets"]] == ["A002"]
