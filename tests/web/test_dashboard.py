"""The efficiency dashboard's JSON figures and its page, against a real hall on SQLite."""

from __future__ import annotations

import pytest

from qms.core import commands as c
from qms.core.model import RatingLevel

from .conftest import Api, bearer, page_settings


@pytest.mark.anyio
async def test_the_figures_follow_the_day_and_need_no_login(api: Api) -> None:
    empty = await api.get("/efficiency")
    assert (empty["taken"], empty["called"], empty["handled"]) == (0, 0, 0)
    assert empty["ratings"] == {"total": 0, "good": 0, "good_share": None, "by_level": empty["ratings"]["by_level"]}
    assert len(empty["slots"]) == 48  # the test hall is open around the clock
    for _ in range(3):
        await api.issue("social")
    await api.issue("tax")
    await api.ok("w1", "open")
    api.clock.advance(600)
    await api.ok("w1", "call-next")
    await api.ok("w1", "start")
    api.clock.advance(300)
    await api.ok("w1", "finish", outcome="completed")
    await api.service.submit(c.RateService("w1", RatingLevel.VERY_SATISFIED))
    await api.ok("w2", "open", user="bob")
    await api.ok("w2", "call-next", user="bob")

    f = await api.get("/efficiency")
    assert (f["taken"], f["called"], f["handled"], f["waiting"]) == (4, 2, 1, 2)
    assert f["avg_wait_minutes"] == 12.5 and f["avg_handling_minutes"] == 5.0  # A001 waited 10 min, A002 15
    slot = next(s for s in f["slots"] if s["start"] == "10:00")
    assert (slot["taken"], slot["called"]) == (4, 2)
    assert f["hot"][0] == {"service": "social", "name": "社保卡办理", "name_en": "Social security card", "tickets": 3}
    windows = {w["id"]: w for w in f["windows"]}
    assert windows["w1"]["state"] == "idle" and windows["w1"]["handled"] == 1
    assert windows["w2"]["state"] == "calling" and windows["w2"]["ticket"] == "A002"
    assert {q["service"]: q["waiting"] for q in f["queues"]}["social"] == 1
    assert f["ratings"]["total"] == 1 and f["ratings"]["good_share"] == 1.0
    assert f["ratings"]["by_level"][0] == {"level": "very_satisfied", "label": "非常满意", "bad": False, "count": 1}


@pytest.mark.anyio
async def test_a_bad_rating_lowers_the_good_share(api: Api) -> None:
    for window, user, level in (("w1", "alice", RatingLevel.SATISFIED), ("w2", "bob", RatingLevel.DISSATISFIED)):
        await api.issue("social")
        await api.ok(window, "open", user=user)
        await api.ok(window, "call-next", user=user)
        await api.ok(window, "finish", user=user, outcome="completed")
        await api.service.submit(c.RateService(window, level))
    ratings = (await api.get("/efficiency"))["ratings"]
    assert (ratings["total"], ratings["good"], ratings["good_share"]) == (2, 1, 0.5)


@pytest.mark.anyio
async def test_an_unknown_hall_is_a_clear_404(api: Api) -> None:
    response = await api.client.get("/api/v1/halls/nowhere/efficiency")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_hall"
    page = await api.client.get("/dashboard/nowhere")
    assert page.status_code == 404 and "没有这个大厅" in page.text


@pytest.mark.anyio
async def test_the_page_names_the_hall_and_where_its_figures_come_from(api: Api) -> None:
    response = await api.client.get("/dashboard/yuexiu", headers=bearer("alice"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "越秀区政务服务中心" in response.text and "实时效能监控" in response.text
    settings = page_settings("dashboard", response.text)
    assert settings["figures"] == "/api/v1/halls/yuexiu/efficiency"
    assert settings["events"] == "/api/v1/halls/yuexiu/events"
    for asset in ("/static/dashboard/dashboard.js", "/static/dashboard/dashboard.css"):
        assert asset in response.text
        assert (await api.client.get(asset)).status_code == 200
