"""The staff reports page as HTTP: the page, its settings, its scripts; a 404 page for an
unknown hall. (Chromium walks it in test_walk_browser.py.)"""

from __future__ import annotations

import pytest

from .conftest import HALL, Api
from .test_ticket_page import embedded


@pytest.mark.anyio
async def test_the_page_names_the_hall_and_the_api_it_reads(api: Api) -> None:
    response = await api.client.get(f"/reports/{HALL}")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    html = response.text
    assert "越秀区政务服务中心 · 统计报表" in html and "工作人员 Staff member" in html and "差评回访" in html
    settings = embedded(html, "reports-settings")
    assert settings["today"] == "2026-11-23" and settings["login"] == "/api/v1/auth/login"
    assert settings["report"] == f"/api/v1/halls/{HALL}/reports/daily"
    assert settings["follow_up"] == f"/api/v1/halls/{HALL}/ratings/{{id}}/follow-up"
    assert settings["statuses"] == {
        "open": ["待回访", "Open"], "contacted": ["已回访", "Contacted"], "resolved": ["已办结", "Resolved"],
    }  # fmt: skip
    assert html.index("/static/staff/session.js") < html.index("/static/reports/reports.js")


@pytest.mark.anyio
async def test_an_unknown_hall_gets_a_404_page_and_the_files_are_served(api: Api) -> None:
    response = await api.client.get("/reports/nowhere")
    assert response.status_code == 404 and "没有这个大厅" in response.text
    for name in ("reports/reports.js", "reports/reports.css", "staff/session.js"):
        assert (await api.client.get(f"/static/{name}")).status_code == 200, name
