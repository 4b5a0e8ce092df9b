"""The admin pages in real Chromium at 1366x768, against one real `qms demo --around-the-clock`.

The admin logs in through the login form, makes window 7 a specialized window of two
services through its form, sees the window list and the audit log say so, and a screenshot
of every admin page goes to test-artifacts/ (admin-*.png). Then the pages citizens and the
hall see follow the admin's layout changes without a reload: the kiosk, the waiting-area
screen (its calls and its header's window numbers), the dashboard and a ticket's status page
(layout-*.png).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from qms.bench.api import free_port

from .test_screen_browser import HALL, Hall, demo_hall, shot, start_demo
from .test_screen_browser import browser as browser  # the module's one Chromium (a fixture)

pytestmark = pytest.mark.slow

PAGES = (
    "",
    "services",
    "services/pension",
    "windows",
    "hours",
    "policy",
    "booking",
    "booking/services/new",
    "staff",
    "devices",
    "devices/keypad-w1",
    "audit",
)


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of the module's one demo server."""
    tmp = tmp_path_factory.mktemp("admin-browser")
    port = free_port()
    server = start_demo(demo_hall(tmp), tmp / "data", port)
    try:
        yield port
    finally:
        server.stop()


def test_an_admin_changes_a_windows_services_and_sees_the_audit(port: int, browser: Browser) -> None:
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


def watch(browser: Browser, url: str, viewport: dict[str, int], errors: list[str]) -> Page:
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    page.on("pageerror", lambda error: errors.append(f"{url}: {error}"))
    page.goto(url)
    expect(page.locator("#conn")).to_have_class("conn online")
    return page


def test_the_pages_follow_a_layout_change_without_a_reload(port: int, browser: Browser) -> None:
    root = f"http://127.0.0.1:{port}"
    admin_base = f"{root}/admin/{HALL}"
    hall = Hall(port)
    errors: list[str] = []
    pages: list[Page] = []
    try:
        # a pension ticket called at window 1, followed on its status page
        taken = hall.http.post("/tickets", json={"service": "pension"})
        assert taken.status_code == 201, taken.text
        ticket_id = taken.json()["ticket"]["id"]
        hall.login()
        hall.act("w1", "open")
        assert hall.act("w1", "call-next")["window"]["ticket"] == ticket_id
        kiosk = watch(browser, f"{root}/kiosk/{HALL}?return=120", {"width": 1080, "height": 1920}, errors)
        screen = watch(browser, f"{root}/halls/{HALL}/screen?zone=floor1", {"width": 1920, "height": 1080}, errors)
        dashboard = watch(browser, f"{root}/dashboard/{HALL}", {"width": 1920, "height": 1080}, errors)
        status = watch(browser, f"{root}/t/{HALL}/{ticket_id}", {"width": 390, "height": 844}, errors)
        pages += [kiosk, screen, dashboard, status]
        expect(screen.locator(".hero")).to_have_attribute("data-window", "1")

        # a citizen is looking at a ticket's confirmation when the admin renames a service:
        # the kiosk waits until it is back at the start
        kiosk.locator('.service[data-service="social-insurance-records"]').click()
        expect(kiosk.locator("#done")).to_be_visible()
        admin = browser.new_page(viewport={"width": 1366, "height": 768})
        pages.append(admin)
        admin.goto(f"{admin_base}/services/pension")
        if "/admin/login" in admin.url:
            admin.fill("input[name=username]", "admin")
            admin.fill("input[name=password]", "admin123")
            admin.click("button[type=submit]")
        admin.fill("input[name=name]", "养老金待遇申领")
        admin.click("form.form button[type=submit]")
        expect(admin).to_have_url(f"{admin_base}/services?saved=1")
        pension = kiosk.locator('.service[data-service="pension"] .name .zh')
        expect(status.locator("#service-zh")).to_have_text("养老金待遇申领")
        expect(pension).to_have_text("养老保险待遇申领")  # not under the citizen's confirmation
        kiosk.click("#done-close")
        expect(pension).to_have_text("养老金待遇申领")

        # at the start, a new service shows at once
        admin.goto(f"{admin_base}/services/new")
        for name, value in (
            ("id", "pension-survey"),
            ("name", "养老金资格认证"),
            ("prefix", "R"),
            ("department", "人社"),
        ):
            admin.fill(f"input[name={name}]", value)
        admin.click("form.form button[type=submit]")
        expect(admin).to_have_url(f"{admin_base}/services?saved=1")
        expect(kiosk.locator('.service[data-service="pension-survey"] .name .zh')).to_have_text("养老金资格认证")
        kiosk.locator('.service[data-service="pension-survey"]').click()  # and it issues tickets
        expect(kiosk.locator("#done-service")).to_have_text("养老金资格认证")
        shot(kiosk, "layout-kiosk")

        # window 1 renamed: the screen's call and the dashboard's window say the new name
        admin.goto(f"{admin_base}/windows/w1")
        admin.fill("input[name=name]", "社保专窗")
        admin.click("form.form button[type=submit]")
        expect(admin).to_have_url(f"{admin_base}/windows?saved=1")
        expect(screen.locator(".hero .window-name")).to_have_text("社保专窗")
        expect(dashboard.locator('.win[data-window="w1"]')).to_have_attribute("title", re.compile("^社保专窗"))

        # a window added to floor 1, then removed: the screen's header names the zone's windows
        # as they are numbered now, without a reload (a screen hangs on a wall for weeks)
        header = screen.locator("#zone .zh")
        expect(header).to_have_text("1楼 · 1–24, 46–49, 53–55号窗口")
        screen.evaluate("window.notReloaded = true")
        admin.goto(f"{admin_base}/windows/new")
        admin.fill("input[name=id]", "w56")
        admin.fill("input[name=number]", "56")
        admin.select_option("select[name=zone]", "floor1")
        admin.click("form.form button[type=submit]")
        expect(admin).to_have_url(f"{admin_base}/windows?saved=1")
        expect(header).to_have_text("1楼 · 1–24, 46–49, 53–56号窗口")
        expect(screen.locator("#zone .en")).to_have_text("Floor 1 · windows 1–24, 46–49, 53–56")
        shot(screen, "layout-screen-header")
        admin.goto(f"{admin_base}/windows/w56")
        admin.click("form.remove button[type=submit]")
        expect(admin).to_have_url(f"{admin_base}/windows?saved=1")
        expect(header).to_have_text("1楼 · 1–24, 46–49, 53–55号窗口")
        assert screen.evaluate("window.notReloaded") is True
        for page, name in ((screen, "layout-screen"), (dashboard, "layout-dashboard"), (status, "layout-status")):
            shot(page, name)
        assert not errors, errors
    finally:
        for page in pages:
            page.close()
        hall.http.close()
