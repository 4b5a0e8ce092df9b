"""The efficiency dashboard in real Chromium at 1920x1080, against a real `qms demo`.

Tickets are issued, called, finished, missed and cancelled through the API; the figures, the
chart, the hot services and the windows on the page must follow, and after a server restart the
page must reconnect by itself and keep following. A screenshot goes to test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from qms.bench.api import free_port

from .test_screen_browser import HALL, Hall, browser, demo_hall, open_live, shot, start_demo

pytestmark = pytest.mark.slow
__all__ = ["browser"]  # the module's Chromium, shared with the screen's tests


def test_the_dashboard_follows_the_hall_and_reconnects_after_a_restart(tmp_path: Path, browser: Browser) -> None:
    config, data, port = demo_hall(tmp_path), tmp_path / "data", free_port()
    server = start_demo(config, data, port)
    hall = Hall(port)
    errors: list[str] = []
    try:
        hall.login()
        page = open_live(browser, f"{hall.base}/dashboard/{HALL}", errors)
        loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        assert loaded < 3000, loaded  # ms; only catches a page gone slow
        expect(page.locator("#k-taken")).to_have_text("0")
        expect(page.locator("#hot")).to_contain_text("今日暂无取号")
        expect(page.locator(".win")).to_have_count(55)

        for _ in range(3):
            hall.issue("pension")
        hall.issue("tax-filing")
        expect(page.locator("#k-taken")).to_have_text("4")
        expect(page.locator("#k-waiting")).to_have_text("4")
        expect(page.locator("#hot li").first).to_have_attribute("data-service", "pension")
        expect(page.locator("#chart rect.taken[data-count='4']")).to_have_count(1)
        expect(page.locator("#queues tr[data-service='pension'] td.n").first).to_have_text("3")

        hall.act("w1", "open")
        first = hall.act("w1", "call-next")["ticket"]["number"]
        expect(page.locator(".win[data-window='w1']")).to_have_class("win calling")
        expect(page.locator(".win[data-window='w1'] .tk")).to_have_text(first)
        hall.act("w1", "start")
        hall.act("w1", "finish", outcome="completed")
        expect(page.locator("#k-handled")).to_have_text("1")
        expect(page.locator("#k-called")).to_have_text("1")
        expect(page.locator("#chart rect.called[data-count='1']")).to_have_count(1)
        expect(page.locator(".win[data-window='w1']")).to_have_class("win idle")
        expect(page.locator("#k-handling")).not_to_have_text("–")

        hall.act("w2", "open")
        second = hall.act("w2", "call-next")["ticket"]["number"]
        expect(page.locator(".win[data-window='w2'] .tk")).to_have_text(second)
        expect(page.locator("#k-called")).to_have_text("2")
        expect(page.locator("#k-no-shows")).to_have_text("0")
        expect(page.locator("#k-cancelled")).to_have_text("0")

        # the citizen with the last ticket leaves the queue (取消排队) and w2's citizen never came:
        # one each beside the other, neither counted as waiting any more
        taken = hall.http.post("/tickets", json={"service": "pension"}).json()["ticket"]
        expect(page.locator("#k-waiting")).to_have_text("3")
        cancel = hall.http.post(f"/tickets/{taken['id']}/cancel", json={"key": taken["key"]})
        assert cancel.status_code == 200, cancel.text
        hall.act("w2", "no-show")
        expect(page.locator("#k-cancelled")).to_have_text("1")
        expect(page.locator("#k-no-shows")).to_have_text("1")
        expect(page.locator("#k-waiting")).to_have_text("2")
        expect(page.locator("#k-taken")).to_have_text("5")
        figures = page.evaluate(
            "[...document.querySelectorAll('.kpi .v')].map(v => [v.scrollWidth <= v.clientWidth, v.offsetHeight])"
        )
        assert all(fits for fits, _ in figures) and len({high for _, high in figures}) == 1, figures
        # every figure fits its tile at 1920x1080, on one line (a unit wrapped under its figure is taller)
        shot(page, "dashboard")

        server.stop()
        expect(page.locator("#conn")).to_have_class("conn offline")
        expect(page.locator("#k-taken")).to_have_text("5")  # the last figures stay on the board
        server = start_demo(config, data, port)
        expect(page.locator("#conn")).to_have_class("conn online", timeout=15_000)
        hall.issue("pension")
        expect(page.locator("#k-taken")).to_have_text("6")
        expect(page.locator("#k-called")).to_have_text("2")
        expect(page.locator("#k-cancelled")).to_have_text("1")  # replayed after the restart
        assert errors == []
        page.close()
    finally:
        server.stop()
        hall.http.close()
