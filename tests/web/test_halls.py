"""The public views: halls, health, queues, windows."""

from __future__ import annotations

import pytest

from qms.web import create_app

from .conftest import ACCOUNTS, HALL, SECRET, Api

pytestmark = pytest.mark.anyio


async def test_halls_and_health(api: Api) -> None:
    halls = (await api.client.get("/api/v1/halls")).json()
    assert halls == {
        "halls": [
            {
                "id": HALL,
                "name": "越秀区政务服务中心",
                "name_en": "Yuexiu Government Service Centre",
                "timezone": "Asia/Shanghai",
            }
        ]
    }
    await api.issue("social")
    await api.ok("w1", "open")
    health = (await api.client.get("/api/v1/health")).json()
    assert health["status"] == "ok"
    stats = health["halls"][HALL]
    assert stats["tickets"] == 1 and stats["waiting"] == 1 and stats["windows_open"] == 1
    assert stats["day"] == "2026-11-23"
    assert stats["commands"] >= 2


async def test_queues(api: Api) -> None:
    await api.issue("social")
    await api.issue("social")
    await api.issue("tax")
    before = {q["service"]: q for q in (await api.get("/queues"))["queues"]}
    assert before["social"] == {
        "service": "social",
        "name": "社保卡办理",
        "name_en": "Social security card",
        "department": "人社局",
        "prefix": "A",
        "waiting": 2,
        "eta_minutes": before["social"]["eta_minutes"],
        "windows_open": 0,
        "handling_minutes": 10.0,
    }
    assert before["social"]["eta_minutes"] > 0
    assert before["issuing"]["waiting"] == 0 and before["issuing"]["eta_minutes"] == 0
    await api.ok("w1", "open")
    after = {q["service"]: q for q in (await api.get("/queues"))["queues"]}
    assert after["social"]["windows_open"] == 1
    assert after["issuing"]["windows_open"] == 0  # only the specialized window serves it


async def test_windows(api: Api) -> None:
    await api.issue("social")
    await api.ok("w2", "open", user="bob")
    await api.ok("w2", "call-next", user="bob")
    windows = {w["id"]: w for w in (await api.get("/windows"))["windows"]}
    assert list(windows) == ["w1", "w2", "issue-9"]
    assert windows["w2"] == {
        "id": "w2",
        "number": 2,
        "name": "综合窗口2",
        "kind": "general",
        "zone": "main",
        "state": "calling",
        "staff": "bob",
        "ticket": "20261123-A001",
        "ticket_number": "A001",
        "pause_reason": "",
        "since": windows["w2"]["since"],
        "services": ["social", "tax"],
    }
    assert windows["issue-9"]["kind"] == "specialized" and windows["issue-9"]["services"] == ["issuing"]
    assert windows["w1"]["state"] == "closed" and windows["w1"]["ticket_number"] is None


async def test_create_app_checks_its_arguments(api: Api) -> None:
    with pytest.raises(ValueError, match="filed under"):
        create_app({"other": api.service}, ACCOUNTS, SECRET)
    with pytest.raises(ValueError, match="twice"):
        create_app({HALL: api.service}, ACCOUNTS + ACCOUNTS[:1], SECRET)
    with pytest.raises(ValueError, match="secret"):
        create_app({HALL: api.service}, ACCOUNTS, b"short")
