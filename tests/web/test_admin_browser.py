"""The admin pages in real Chromium at 1366x768, against a real `qms demo --around-the-clock`.

The admin logs in through the login form, makes window 7 a specialized window of two
services through its form, sees the window list and the audit log say so, and a screenshot
of every admin page goes to test-artifacts/ (admin-*.png).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from qms.bench.api import free_port

from .test_screen_browser import HALL, demo_hall, shot, start_demo
from .test_screen_browser import browser as browser  # the module's one Chromium (a fixture)

pytestmark = pytest.mark.slow

PAGES: tuple[str, ...] = ("", "services", "services/pension", "windows", "hours", "policy", "booking", "staff")
PAGES += ("devices", "devices/keypad-w1", "audit")


def test_an_admin_changes_a_windows_services_and_sees_the_audit(tmp_path: Path, browser: Browser) -> None:
    config, data, port = demo_hall(tmp_path), tmp_path / "data", free_port()
    server = start_demo(config, data, port)
    base = f"http://127.0.0.1:{port}/admin/{HALL}"
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/windows/w7")
        expect(page).to_have_url(f"http://127.0.0.1:{port}/admin/login?next=/admin/{HALL}/windows/w7")
        shot(page, "admin-login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", "admin123")
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/windows/w7")

        page.select_option("select[name=kind]", "specialized")
        page.check("#serve-pension")
        page.fill("input[name='weight:pension']", "3")
        page.check("#serve-unemployment-benefit")
        shot(page, "admin-window-form")
        page.click("form.form button[type=submit]")
        expect(page).to_have_url(f"{base}/windows?saved=1")
        expect(page.locator(".saved")).to_contain_text("已保存")
        row = page.locator("#row-w7")
        expect(row).to_contain_text("专窗")
        expect(row).to_contain_text("养老保险待遇申领×3")

        page.goto(f"{base}/audit?kind=windows")
        entry = page.locator("tr.audit-entry").first
        expect(entry).to_contain_text("window w7")
        expect(entry).to_contain_text("admin")
        expect(entry).to_contain_text('"kind":"specialized"')
        for path in PAGES:
            page.goto(f"{base}/{path}" if path else base)
            expect(page.locator("main h1")).to_be_visible()
            shot(page, "admin-" + (path.replace("/", "-") or "overview"))
        assert not errors, errors
    finally:
        page.close()
        server.stop()
