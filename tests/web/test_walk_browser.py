"""One citizen's visit across every page, in real Chromium against one real `qms demo`.

Take a ticket at the kiosk; a staff member logs in at the console and calls it; the call shows
on the waiting-area screen and on the ticket's status page (opened from the kiosk's QR link,
with its key); the server restarts and the pages reconnect by themselves; the visit is started
and finished at the console; the citizen rates it badly on the status page; the dashboard
counts the ticket taken and called and the rating; the reports page lists the day, the staff
member and the bad rating, whose follow-up is recorded there, and downloads the CSV. Every
page loads in under a second; a screenshot of each goes to test-artifacts/walk-*.png.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Browser, Page, expect

from qms.bench.api import free_port

from .test_screen_browser import HALL, browser, demo_hall, shot, start_demo  # noqa: F401  # browser: a fixture

PC = {"width": 1366, "height": 768}
TV = {"width": 1920, "height": 1080}
KIOSK = {"width": 1080, "height": 1920}
PHONE = {"width": 390, "height": 844}
LOAD_MS = 1000
LOAD_TIME = "performance.getEntriesByType('navigation')[0].loadEventEnd"  # ms since the navigation began


def open_page(browser: Browser, url: str, viewport: dict[str, int], errors: list[str]) -> Page:  # noqa: F811
    """The page at `url`, once loaded, which must take under a second (navigation start to the
    load event). The test machine runs the server, Chromium and the tests on two cores, and a
    first load also reads the static files cold, so a slow load is timed again, up to twice
    more: the best of three must be under the second (the figures live in `qms bench screen`)."""
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    page.on("pageerror", lambda error: errors.append(f"{url}: {error}"))
    page.goto(url)
    loads = [page.evaluate(LOAD_TIME)]
    while loads[-1] >= LOAD_MS and len(loads) < 3:
        page.reload()
        loads.append(page.evaluate(LOAD_TIME))
    assert 0 < min(loads) < LOAD_MS, (url, loads)
    return page


def log_in(page: Page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")


def test_a_visit_from_the_kiosk_to_the_reports(tmp_path: Path, browser: Browser) -> None:  # noqa: F811
    config, data, port = demo_hall(tmp_path), tmp_path / "data", free_port()
    server = start_demo(config, data, port)
    base = f"http://127.0.0.1:{port}"
    errors: list[str] = []
    try:
        # the kiosk: take a pension ticket; its QR code's link carries the ticket's key
        kiosk = open_page(browser, f"{base}/kiosk/{HALL}?return=60", KIOSK, errors)
        expect(kiosk.locator("#conn")).to_have_class("conn online")
        kiosk.locator('.service[data-service="pension"]').click()
        expect(kiosk.locator("#done")).to_be_visible()
        number = kiosk.locator("#done-number").inner_text()
        ticket_id = kiosk.locator("#done").get_attribute("data-ticket")
        qr = urlparse(kiosk.locator("#done-qr").get_attribute("src") or "")
        assert ticket_id and qr.path == f"/t/{HALL}/{ticket_id}/qr.svg"
        (key,) = parse_qs(qr.query)["k"]
        kiosk.wait_for_function("document.getElementById('done-qr').naturalWidth > 0")
        shot(kiosk, "walk-kiosk")

        # the waiting-area screen and the status page (as the QR code opens it) wait for the call
        screen = open_page(browser, f"{base}/halls/{HALL}/screen?zone=floor1&rotate=120", TV, errors)
        expect(screen.locator("#conn")).to_have_class("conn online")
        status = open_page(browser, f"{base}/t/{HALL}/{ticket_id}?k={key}", PHONE, errors)
        expect(status.locator("#conn")).to_have_class("conn online")
        expect(status.locator("#ticket")).to_have_attribute("data-state", "waiting")
        expect(status.locator("#rating")).to_be_hidden()  # nothing to rate before the service

        # the console: staff1 logs in, opens window 1 and calls the next ticket: ours
        console = open_page(browser, f"{base}/console/{HALL}", PC, errors)
        log_in(console, "staff1", "demo123")
        expect(console.locator("#choose-view")).to_be_visible()
        console.select_option("#window-select", "w1")
        console.click("#choose-form button[type=submit]")
        expect(console.locator("#desk-view")).to_be_visible()
        expect(console.locator("#conn")).to_have_class("conn online")
        console.keyboard.press("F1")
        expect(console.locator("#ticket")).to_have_attribute("data-ticket", number)
        shot(console, "walk-console-calling")
        hero = screen.locator("#hero")
        expect(hero).to_have_attribute("data-ticket", number)
        expect(hero).to_contain_text("请到1号窗口")
        shot(screen, "walk-screen")
        expect(status.locator("#state-zh")).to_have_text("请到1号窗口办理")
        shot(status, "walk-status-called")

        # the server restarts: the status page and the console reconnect by themselves
        server.stop()
        expect(status.locator("#conn")).to_have_class("conn offline")
        server = start_demo(config, data, port)
        expect(status.locator("#conn")).to_have_class("conn online", timeout=15_000)
        expect(console.locator("#conn")).to_have_class("conn online", timeout=15_000)

        # started and finished at the console; the status page follows and offers the rating
        console.keyboard.press("F4")
        expect(status.locator("#state-zh")).to_have_text("正在1号窗口办理")
        console.keyboard.press("F6")  # 办结
        expect(console.locator("#ticket")).to_have_attribute("data-ticket", "")
        expect(status.locator("#ticket")).to_have_attribute("data-state", "finished")
        expect(status.locator("#rating")).to_be_visible()
        shot(status, "walk-status-rating")
        status.locator('.level[data-level="very_dissatisfied"]').click()
        expect(status.locator("#rating-done-zh")).to_have_text("您已评价，感谢您的反馈")
        expect(status.locator("#rating")).to_be_hidden()
        shot(status, "walk-status-rated")

        # the dashboard: one taken, one called, no good rating
        dashboard = open_page(browser, f"{base}/dashboard/{HALL}", TV, errors)
        expect(dashboard.locator("#k-taken")).to_have_text("1")
        expect(dashboard.locator("#k-called")).to_have_text("1")
        expect(dashboard.locator("#k-good")).to_have_text("0%")
        expect(dashboard.locator("#r-total")).to_contain_text("共 1 条")
        shot(dashboard, "walk-dashboard")

        # the reports: the day by service and by staff member, the bad rating followed up, the CSV
        reports = open_page(browser, f"{base}/reports/{HALL}", PC, errors)
        log_in(reports, "admin", "admin123")
        pension = reports.locator('#rows tr[data-key="pension"]')
        expect(pension.locator("td").nth(1)).to_have_text("1")
        reports.select_option("#by", "staff")
        reports.click("#query button[type=submit]")
        staff1 = reports.locator('#rows tr[data-key="staff1"]')
        expect(staff1).to_contain_text("陈晓敏")
        expect(staff1.locator("td").nth(7)).to_have_text("1")  # its bad ratings
        bad = reports.locator(f'#bad tr[data-rating="{ticket_id}.0"]')
        expect(bad).to_have_attribute("data-status", "open")
        expect(bad).to_contain_text("非常不满意")
        bad.locator("select").select_option("contacted")
        bad.locator("input").fill("电话回访，已致歉并说明办理进度")
        bad.locator("button").click()
        followed = reports.locator(f'#bad tr[data-rating="{ticket_id}.0"]')
        expect(followed).to_have_attribute("data-status", "contacted")
        expect(followed).to_contain_text("系统管理员")
        with reports.expect_download() as download:
            reports.click("#csv")
        assert download.value.suggested_filename.endswith("-staff.csv")
        csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert csv.startswith("key,name,tickets") and "staff1,陈晓敏,1,1,0" in csv
        shot(reports, "walk-reports")
        assert errors == []
    finally:
        server.stop()
