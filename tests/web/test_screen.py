"""The screen page as HTML, its static files, and what the event stream gives it (recent calls
in the snapshot, ticket numbers on calls); no citizen's identifier on any of it."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from qms.core import commands as c
from qms.core.model import WindowConfig, WindowKind
from qms.web import create_app
from qms.web.events import snapshot

from .conftest import ACCOUNTS, HALL, SECRET, Api, bearer, page_settings
from .test_events import EVENTS, Hall, issue

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)  # see test_events.py
    from starlette.testclient import TestClient

PHONE, ID_NUMBER = "13812345678", "11010519491231002X"
SECRETS = (PHONE, ID_NUMBER, "138****5678", "1101**********002X", "5678")


@pytest.mark.anyio
async def test_the_screen_page_names_the_hall_and_zone_and_where_to_listen(api: Api) -> None:
    response = await api.client.get(f"/halls/{HALL}/screen?zone=main")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "越秀区政务服务中心" in html and "Yuexiu Government Service Centre" in html
    assert "1–2, 9号窗口" in html  # the windows this zone's screen calls to
    assert page_settings("screen", html) == {
        "hall": HALL,
        "zone": "main",
        "timezone": "Asia/Shanghai",
        "events": f"/api/v1/halls/{HALL}/events",
        "queues": f"/api/v1/halls/{HALL}/queues",
        "recent": 7,
        "queue_filter": "all",
        "page_seconds": 8,
        "sound": "on",
        "voice": f"/api/v1/halls/{HALL}/voice",
        "voice_stream": f"/api/v1/halls/{HALL}/voice/stream",
    }
    whole = await api.client.get(f"/halls/{HALL}/screen?queues=waiting&rotate=15")
    assert whole.status_code == 200 and "全部窗口" in whole.text
    settings = page_settings("screen", whole.text)
    assert settings["zone"] is None and settings["queue_filter"] == "waiting" and settings["page_seconds"] == 15
    assert settings["sound"] == "on"  # one zone: the whole hall's screen is that zone's
    for query, sound in (("zone=main&sound=off", "off"), ("sound=off", "off")):
        assert page_settings("screen", (await api.client.get(f"/halls/{HALL}/screen?{query}")).text)["sound"] == sound


@pytest.mark.anyio
@pytest.mark.parametrize("query", ["queues=some", "rotate=0", "rotate=121", "rotate=fast", "rotate=-5", "sound=loud"])
async def test_a_wrong_option_is_a_clear_400_page(api: Api, query: str) -> None:
    response = await api.client.get(f"/halls/{HALL}/screen?{query}")
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    name, _, value = query.partition("=")
    assert "屏幕网址有误" in response.text and f"{name}={value}" in response.text


@pytest.mark.anyio
async def test_static_files_are_served(api: Api) -> None:
    for name, kind in (
        ("render.js", "javascript"),
        ("live.js", "javascript"),
        ("voice.js", "javascript"),
        ("screen.css", "text/css"),
    ):
        response = await api.client.get(f"/static/screen/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    assert (await api.client.get("/static/screen/nothing.js")).status_code == 404


@pytest.mark.anyio
async def test_an_unknown_hall_or_zone_is_a_clear_404_page(api: Api) -> None:
    response = await api.client.get("/halls/nowhere/screen")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "没有这个大厅" in response.text and "No such hall" in response.text and "nowhere" in response.text
    zone = await api.client.get(f"/halls/{HALL}/screen?zone=roof")
    assert zone.status_code == 404
    assert "没有这个区域" in zone.text and "roof" in zone.text and "main" in zone.text
    odd = await api.client.get("/halls/%3Cimg%20src=x%20onerror=alert(1)%3E/screen")
    assert odd.status_code == 404 and "<img" not in odd.text and "&lt;img" in odd.text  # escaped, never run


@pytest.mark.anyio
async def test_the_page_never_shows_a_citizens_identifiers(api: Api) -> None:
    await api.issue(phone=PHONE, id_number=ID_NUMBER, note="带身份证")
    await api.ok("w1", "open")
    await api.ok("w1", "call-next")
    html = (await api.client.get(f"/halls/{HALL}/screen")).text
    assert not [s for s in SECRETS if s in html]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    hall = Hall(tmp_path)
    app = create_app({HALL: hall.service}, ACCOUNTS, SECRET, runtime=hall.runtime)
    with TestClient(app) as client:
        yield client


def test_snapshot_lists_recent_calls_and_calls_carry_the_ticket_number(client: TestClient) -> None:
    body = {"service": "social", "phone": PHONE, "id_number": ID_NUMBER}
    assert client.post(f"/api/v1/halls/{HALL}/tickets", json=body).status_code == 201
    issue(client)
    for window in ("w1", "w2"):
        assert client.post(f"/api/v1/halls/{HALL}/windows/{window}/open", headers=bearer("root")).status_code == 200
    assert client.post(f"/api/v1/halls/{HALL}/windows/w1/call-next", headers=bearer("root")).status_code == 200
    with client.websocket_connect(EVENTS) as ws:
        snapshot = ws.receive_json()
        assert [(c["number"], c["window"], c["window_number"], c["zone"]) for c in snapshot["calls"]] == [
            ("A001", "w1", 1, "main")
        ]
        assert client.post(f"/api/v1/halls/{HALL}/windows/w2/call-next", headers=bearer("root")).status_code == 200
        called = ws.receive_json()
        assert called["type"] == "TicketCalled" and called["number"] == "A002" and called["window"] == "w2"
        raw = json.dumps(snapshot, ensure_ascii=False) + json.dumps(called, ensure_ascii=False)
        assert not [s for s in SECRETS if s in raw]
    with client.websocket_connect(EVENTS) as ws:
        again = ws.receive_json()
        assert [c["number"] for c in again["calls"]] == ["A002", "A001"]


@pytest.mark.anyio
async def test_the_snapshot_carries_the_header_as_the_layout_is_now(api: Api) -> None:
    """A screen redraws its header from each snapshot: after a layout change (it reconnects on
    LayoutChanged) it names the windows as they are numbered now, without a reload."""

    def header() -> dict[str, Any]:
        data: dict[str, Any] = snapshot(api.service)["header"]
        return data

    assert header() == {
        "name": "越秀区政务服务中心",
        "name_en": "Yuexiu Government Service Centre",
        "all": {"zh": "全部窗口 · 1–2, 9号", "en": "All windows · 1–2, 9"},
        "zones": {"main": {"zh": "main 区 · 1–2, 9号窗口", "en": "Zone main · windows 1–2, 9"}},
    }

    async def change(**parts: object) -> None:
        await api.service.submit(c.ChangeLayout(replace(api.service.config, **parts), "windows", "root"))

    config = api.service.config
    added = WindowConfig("w3", 3, WindowKind.GENERAL, zone="upstairs", floor=2)
    await change(windows=(*config.windows, added), name="越秀区政务服务中心（新馆）")
    assert header()["name"] == "越秀区政务服务中心（新馆）"
    assert header()["all"] == {"zh": "全部窗口 · 1–3, 9号", "en": "All windows · 1–3, 9"}
    assert header()["zones"] == {
        "main": {"zh": "main 区 · 1–2, 9号窗口", "en": "Zone main · windows 1–2, 9"},
        "upstairs": {"zh": "2楼 · 3号窗口", "en": "Floor 2 · windows 3"},
    }
    renumbered = tuple(replace(w, number=12) if w.id == "w2" else w for w in api.service.config.windows)
    await change(windows=renumbered)
    assert header()["zones"]["main"] == {"zh": "main 区 · 1, 9, 12号窗口", "en": "Zone main · windows 1, 9, 12"}
    await change(windows=tuple(w for w in api.service.config.windows if w.id != "w3"))
    assert list(header()["zones"]) == ["main"]
    # a page loaded now starts with the same header
    html = (await api.client.get(f"/halls/{HALL}/screen?zone=main")).text
    assert "main 区 · 1, 9, 12号窗口" in html and "越秀区政务服务中心（新馆）" in html
