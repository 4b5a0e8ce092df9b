"""好差评 from the phone: the keyed status page offers the five levels, the API rates once
through the core's RateService; no key, a wrong key or a refusal changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from qms.config import load_settings, loads_hall
from qms.mqtt.link import DeviceLink
from qms.web import TicketKeys
from qms.web.ticket_page import qr_svg
from tests.mqtt.test_serve import HALL_FILE

from .conftest import HALL, SECRET, Api
from .test_ticket_page import embedded

LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")


async def served(api: Api, window: str = "w1") -> dict[str, Any]:
    mine = await api.issue("social")
    await api.ok(window, "open")
    await api.ok(window, "call-next")
    api.clock.advance(120)
    await api.ok(window, "finish", outcome="completed")
    return mine


async def rate(api: Api, ticket: str, **body: Any) -> httpx.Response:
    return await api.client.post(api.url(f"/tickets/{ticket}/rating"), json=body)


@pytest.mark.anyio
async def test_the_taker_gets_the_key_and_only_the_keyed_page_offers_rating(api: Api) -> None:
    mine = await api.issue("social")
    assert mine["key"] == TicketKeys(SECRET).key(HALL, mine["id"]) and len(mine["key"]) == 16
    keyed = (await api.client.get(f"/t/{HALL}/{mine['id']}?k={mine['key']}")).text
    assert all(level in keyed for level in LEVELS)
    rating = embedded(keyed, "ticket-settings")["rating"]
    assert rating == {
        "api": f"/api/v1/halls/{HALL}/tickets/{mine['id']}/rating",
        "key": mine["key"],
        "initial": {"open": False, "reason": "not_finished", "until": None},
    }
    for address in (
        f"/t/{HALL}/{mine['id']}",
        f"/t/{HALL}/{mine['id']}?k=AAAAAAAAAAAAAAAA",
        f"/t/{HALL}/{mine['id']}?k=密",
    ):
        page = await api.client.get(address)
        assert page.status_code == 200 and mine["number"] in page.text
        assert "非常不满意" not in page.text and embedded(page.text, "ticket-settings")["rating"] is None
    # the key is the ticket's own: another ticket's key opens no rating
    other = await api.issue("social")
    page = await api.client.get(f"/t/{HALL}/{other['id']}?k={mine['key']}")
    assert embedded(page.text, "ticket-settings")["rating"] is None


@pytest.mark.anyio
async def test_qr_codes_carry_the_key_when_given_it(api: Api, tmp_path: Path) -> None:
    mine = await api.issue("social")
    base = f"http://hall.test/t/{HALL}/{mine['id']}"
    keyed = await api.client.get(f"/t/{HALL}/{mine['id']}/qr.svg?k={mine['key']}")
    assert keyed.content == qr_svg(f"{base}?k={mine['key']}")
    wrong = await api.client.get(f"/t/{HALL}/{mine['id']}/qr.svg?k=nope")
    assert wrong.content == qr_svg(base)  # no key can be had from the public QR endpoint
    settings = load_settings(data_dir=tmp_path, environ={"QMS_PUBLIC_URL": "http://hall.test/"})
    devices = DeviceLink(loads_hall(HALL_FILE), settings, api.service, ticket_key=TicketKeys(SECRET).key)
    printed = devices.ticket_url(mine["id"])
    assert printed == f"{base}?k={mine['key']}"
    page = await api.client.get(printed)
    assert embedded(page.text, "ticket-settings")["rating"] is not None


@pytest.mark.anyio
async def test_rate_once_after_the_step_ended(api: Api) -> None:
    mine = await api.issue("social")
    early = await rate(api, mine["id"], level="satisfied", key=mine["key"])
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_finished"
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    await api.ok("w1", "finish", outcome="completed")
    state = await api.get(f"/tickets/{mine['id']}/rating?key={mine['key']}")
    assert state["rating"]["open"] and state["rating"]["reason"] is None
    done = await rate(api, mine["id"], level="very_dissatisfied", key=mine["key"])
    assert done.status_code == 201, done.text
    assert done.json()["rating"] == {"level": "very_dissatisfied", "label": "非常不满意", "step": 0}
    (stored,) = await api.store.ratings(HALL)
    assert (stored["ticket"], stored["window"], stored["staff"], stored["device"], stored["bad"]) == (
        mine["id"], "w1", "alice", "web", True,
    )  # fmt: skip
    again = await rate(api, mine["id"], level="satisfied", key=mine["key"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    state = await api.get(f"/tickets/{mine['id']}/rating?key={mine['key']}")
    assert state["rating"]["reason"] == "already_rated"
    assert len(await api.store.ratings(HALL)) == 1


@pytest.mark.anyio
async def test_too_late_but_not_cut_off_by_the_next_citizen(api: Api) -> None:
    first = await served(api)
    api.clock.advance(11 * 60)  # rating_minutes is 10
    late = await rate(api, first["id"], level="satisfied", key=first["key"])
    assert late.status_code == 409 and late.json()["error"]["code"] == "rating_closed"
    second = await api.issue("social")
    third = await api.issue("social")
    await api.ok("w1", "call-next")
    await api.ok("w1", "finish", outcome="completed")
    await api.ok("w1", "call-next")
    await api.ok("w1", "finish", outcome="completed")
    # the window has served the third citizen since: the second still rates their own service
    assert (await rate(api, second["id"], level="satisfied", key=second["key"])).status_code == 201
    assert (await rate(api, third["id"], level="satisfied", key=third["key"])).status_code == 201
    assert sorted(r["ticket"] for r in await api.store.ratings(HALL)) == sorted([second["id"], third["id"]])


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"level": "satisfied"}, 403, "invalid_ticket_key"),
        ({"level": "satisfied", "key": "AAAAAAAAAAAAAAAA"}, 403, "invalid_ticket_key"),
        ({"level": "great", "key": None}, 422, "invalid_input"),
        ({"key": None}, 422, "invalid_input"),
        ({"level": "satisfied", "key": None, "stars": 5}, 422, "invalid_input"),
    ],
)
async def test_refusals_change_nothing(api: Api, body: dict[str, Any], status: int, code: str) -> None:
    mine = await served(api)
    if "key" in body and body["key"] is None:
        body["key"] = mine["key"]
    response = await rate(api, mine["id"], **body)
    assert response.status_code == status and response.json()["error"]["code"] == code, response.text
    assert await api.store.ratings(HALL) == []
    wrong = await api.client.get(api.url(f"/tickets/{mine['id']}/rating?key=x"))
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "invalid_ticket_key"
    key = TicketKeys(SECRET).key(HALL, "20261123-Z999")
    unknown = await rate(api, "20261123-Z999", level="satisfied", key=key)
    assert unknown.status_code == 404
