"""A real hall behind the real app: SQLite file, HallService, create_app, a controllable clock."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette

from qms.config import Role, StaffAccount
from qms.core.model import (
    CallingConfig,
    DayHours,
    HallConfig,
    Hours,
    ServiceConfig,
    WindowConfig,
    WindowKind,
)
from qms.passwords import hash_demo_password
from qms.service import HallService
from qms.storage import SqliteStore
from qms.web import TokenSigner, create_app
from tests.fakes import FakeClock

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday morning
SECRET = b"test-secret-for-qms-web-0123456789"
HALL = "yuexiu"
PASSWORD = "correct horse"


def hall_config() -> HallConfig:
    """Three services, two general windows and one specialized; open around the clock."""
    always = DayHours(((clock_time(0), clock_time(23, 59, 59)),))
    return HallConfig(
        id=HALL,
        name="越秀区政务服务中心",
        name_en="Yuexiu Government Service Centre",
        timezone="Asia/Shanghai",
        services=(
            ServiceConfig("social", "社保卡办理", "A", department="人社局", name_en="Social security card"),
            ServiceConfig("tax", "税务登记", "B", department="税务局", name_en="Tax registration", daily_cap=2),
            ServiceConfig("issuing", "统一出件", "C", department="综合", handling_minutes=3, general=False),
        ),
        windows=(
            WindowConfig("w1", 1, WindowKind.GENERAL, name="综合窗口1"),
            WindowConfig("w2", 2, WindowKind.GENERAL, name="综合窗口2"),
            WindowConfig("issue-9", 9, WindowKind.SPECIALIZED, name="出件窗口", weights=(("issuing", 1.0),)),
        ),
        hours=Hours(weekly=(always,) * 7),
        calling=CallingConfig(recall_cooldown_seconds=15, max_calls=2, auto_recall_seconds=None),
    )


_HASH = hash_demo_password(PASSWORD)  # cheap parameters: logins in tests cost ~1 ms
ACCOUNTS = (
    StaffAccount("alice", "王丽", Role.STAFF, _HASH),
    StaffAccount("bob", "李明", Role.STAFF, _HASH),
    StaffAccount("carol", "陈芳", Role.STAFF, _HASH, windows=("w2",)),
    StaffAccount("root", "管理员", Role.ADMIN, _HASH),
)
ROLES = {a.username: str(a.role) for a in ACCOUNTS}


def bearer(username: str, *, now: float | None = None) -> dict[str, str]:
    token, _ = TokenSigner(SECRET).issue(username, ROLES.get(username, "staff"), time.time() if now is None else now)
    return {"Authorization": f"Bearer {token}"}


def page_settings(page: str, html: str) -> dict[str, Any]:
    """The settings a page hands its script, as JSON in `<script id="{page}-settings">`."""
    found = re.search(rf'<script type="application/json" id="{page}-settings">(.*?)</script>', html, re.S)
    assert found is not None, f"no {page}-settings in the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


@dataclass
class Api:
    """The app under test with its hall, and shortcuts for the common requests."""

    client: httpx.AsyncClient
    service: HallService
    store: SqliteStore
    clock: FakeClock
    app: Starlette

    def url(self, path: str) -> str:
        return f"/api/v1/halls/{HALL}{path}"

    async def issue(self, service: str = "social", **body: Any) -> dict[str, Any]:
        response = await self.client.post(self.url("/tickets"), json={"service": service, **body})
        assert response.status_code == 201, response.text
        ticket: dict[str, Any] = response.json()["ticket"]
        return ticket

    async def act(self, window: str, action: str, user: str = "alice", **body: Any) -> httpx.Response:
        return await self.client.post(self.url(f"/windows/{window}/{action}"), json=body, headers=bearer(user))

    async def ok(self, window: str, action: str, user: str = "alice", **body: Any) -> dict[str, Any]:
        response = await self.act(window, action, user, **body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def get(self, path: str, **kwargs: Any) -> Any:
        response = await self.client.get(self.url(path), **kwargs)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@asynccontextmanager
async def running_hall(path: Path, clock: FakeClock, store: SqliteStore | None = None) -> AsyncIterator[HallService]:
    """Open the store and start the hall; stop and close them after."""
    store = store or SqliteStore(path)
    await store.open()
    service = HallService(hall_config(), store, clock=clock)
    try:
        await service.start()
        yield service
    finally:
        await service.stop()
        await store.close()


@pytest.fixture
async def api(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Api]:
    store = SqliteStore(tmp_path / "qms.db")
    async with running_hall(tmp_path, clock, store) as service:
        app = create_app({HALL: service}, ACCOUNTS, SECRET)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hall.test") as client:
            yield Api(client, service, store, clock, app)
