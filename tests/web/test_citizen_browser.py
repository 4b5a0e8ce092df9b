"""The citizen pages in real Chromium against a real `qms demo --around-the-clock`: take a
ticket at the kiosk (1080x1920 portrait, and in elderly mode), follow it on its status page
on a phone, see the call reach the page within a second (with 到号提醒 on, a chime at the
call and at every recall, and the tab's title saying so), and the page recover by itself
after a server restart; leave the queue (取消排队) from a phone ticket's keyed page.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from qms.bench.api import free_port

from .test_screen_browser import HALL, Hall, browser, demo_hall, open_live, shot, start_demo  # noqa: F401  # browser: a fixture

KIOSK = {"width": 1080, "height": 1920}
PHONE_VIEW = {"width": 390, "height": 844}


def type_on_screen(page: Page, text: str) -> None:
    """Type with the kiosk's own on-screen keyboard, as a finger would."""
    for key in text.upper():
        page.locator(f'#keyboard button[data-key="{key}"]').click()


def test_kiosk_ticket_then_its_status_page_follows_the_call_and_a_restart(
    tmp_path: Path,
    browser: Browser,  # noqa: F811
) -> None:
    config, data, port = demo_hall(tmp_path), tmp_path / "data", free_port()
    server = start_demo(config, data, port)
    hall = Hall(port)
    errors: list[str] = []
    try:
        hall.login()
        kiosk = open_live(browser, f"{hall.base}/kiosk/{HALL}?return=60", errors, KIOSK)
        loaded = kiosk.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        assert loaded < 3000, loaded  # ms; only catches a page gone slow
        pension = kiosk.locator('.service[data-service="pension"]')
        expect(pension).to_have_attribute("data-waiting", "0")
        hall.issue("pension")  # someone else, at another kiosk: this one's count follows
        expect(pension).to_have_attribute("data-waiting", "1")
        shot(kiosk, "kiosk-start")

        # search by the pinyin initials on the on-screen keyboard: 养老保险待遇申领
        kiosk.locator("#search").click()
        expect(kiosk.locator("#keyboard")).to_have_class("keyboard on")
        type_on_screen(kiosk, "ylbx")
        expect(pension).to_be_visible()
        expect(kiosk.locator('.service[data-service="tax-filing"]')).to_be_hidden()
        shot(kiosk, "kiosk-search")

        pension.click()
        done = kiosk.locator("#done")
        expect(done).to_be_visible()
        number = kiosk.locator("#done-number").inner_text()
        ticket_id = done.get_attribute("data-ticket")
        assert number.startswith("A") and ticket_id
        expect(kiosk.locator("#done-ahead")).to_have_text("1")
        expect(kiosk.locator("#done-service")).to_have_text("养老保险待遇申领")
        kiosk.wait_for_function("document.getElementById('done-qr').naturalWidth > 0")
        shot(kiosk, "kiosk-ticket")
        kiosk.locator("#done-close").click()
        expect(done).to_be_hidden()
        expect(pension).to_have_attribute("data-waiting", "2")
        expect(kiosk.locator("#search")).to_have_value("")  # the start again, for the next citizen

        # 适老化: larger type, high contrast, one service a row
        normal = pension.bounding_box()
        kiosk.locator("#elderly").click()
        expect(kiosk.locator("#kiosk")).to_have_class("kiosk elderly")
        large = pension.bounding_box()
        assert normal and large and large["width"] > 1.8 * normal["width"]
        shot(kiosk, "kiosk-elderly")
        pension.click()
        expect(done).to_be_visible()
        shot(kiosk, "kiosk-elderly-ticket")
        kiosk.locator("#done-close").click()
        expect(kiosk.locator("#kiosk")).to_have_class("kiosk")  # elderly mode ends with the citizen

        # a booking code that does not exist: said in plain words
        kiosk.locator("#check-in-open").click()
        type_on_screen(kiosk, "ABCDEFGH")
        expect(kiosk.locator("#check-in-value")).to_have_value("ABCDEFGH")
        kiosk.locator("#check-in-go").click()
        expect(kiosk.locator("#problem")).to_be_visible()
        expect(kiosk.locator("#problem-zh")).to_have_text("没有找到这个预约码，请核对后重试")
        shot(kiosk, "kiosk-check-in-unknown")
        kiosk.locator("#problem-close").click()

        # the status page the QR code opens, on a phone
        status = open_live(browser, f"{hall.base}/t/{HALL}/{ticket_id}", errors, PHONE_VIEW)
        root = status.locator("#ticket")
        expect(root).to_have_attribute("data-state", "waiting")
        expect(status.locator("#ahead")).to_have_text("1")
        expect(status.locator("#near")).to_be_visible()  # 1 ahead, within 3
        assert status.title().startswith("【快到您了】")  # seen on a phone with the page behind
        status.locator("#alert-on").click()  # 到号提醒: the tap that lets the page chime and vibrate
        expect(status.locator("#alert-state")).to_be_visible()
        expect(status.locator("#alert-on")).to_be_hidden()
        shot(status, "ticket-waiting")

        hall.act("w2", "open")
        hall.act("w2", "call-next")  # the one before ours
        hall.act("w1", "open")
        expect(status.locator("#ahead")).to_have_text("0")
        called = time.monotonic()
        ours = hall.act("w1", "call-next")["ticket"]
        assert ours["number"] == number
        expect(status.locator("#state-zh")).to_have_text("请到1号窗口办理", timeout=1000)
        assert time.monotonic() - called < 1.5
        expect(root).to_have_attribute("data-state", "called")
        expect(status.locator("#near")).to_be_hidden()
        expect(root).to_have_attribute("data-alerted", "called:1")  # chimed and vibrated
        assert status.title().startswith("【请到1号窗口】")
        hall.act("w1", "recall")
        expect(root).to_have_attribute("data-alerted", "called:2")  # every recall alerts again
        shot(status, "ticket-called")

        # the server goes away and comes back: the page says so and then follows by itself
        server.stop()
        expect(status.locator("#conn")).to_have_class("conn offline")
        server = start_demo(config, data, port)
        expect(status.locator("#conn")).to_have_class("conn online", timeout=15_000)
        hall.act("w1", "start")
        expect(status.locator("#state-zh")).to_have_text("正在1号窗口办理", timeout=3000)
        hall.act("w1", "finish", outcome="completed")
        expect(root).to_have_attribute("data-state", "finished")
        expect(status.locator("#alert")).to_be_hidden()
        assert not status.title().startswith("【")
        shot(status, "ticket-finished")

        # the kiosk recovered by itself too
        expect(kiosk.locator("#conn")).to_have_class("conn online", timeout=15_000)

        # 取消排队 on the keyed page of a phone ticket: asked first, then gone from the kiosk's count
        filing = kiosk.locator('.service[data-service="tax-filing"]')
        taken = hall.http.post("/tickets", json={"service": "tax-filing", "channel": "mobile"}).json()["ticket"]
        expect(filing).to_have_attribute("data-waiting", "1")
        phone = open_live(browser, f"{hall.base}/t/{HALL}/{taken['id']}?k={taken['key']}", errors, PHONE_VIEW)
        phone.locator("#cancel-open").click()
        expect(phone.locator("#cancel-confirm")).to_be_visible()
        phone.locator("#cancel-keep").click()  # changed their mind: nothing happens
        expect(phone.locator("#cancel-confirm")).to_be_hidden()
        phone.locator("#cancel-open").click()
        shot(phone, "ticket-cancel-confirm")
        phone.locator("#cancel-go").click()
        expect(phone.locator("#ticket")).to_have_attribute("data-state", "cancelled")
        expect(phone.locator("#state-zh")).to_have_text("已取消排队，如需办理请重新取号")
        expect(phone.locator("#cancel")).to_be_hidden()
        expect(filing).to_have_attribute("data-waiting", "0")
        shot(phone, "ticket-cancelled")
        hall.issue("pension")
        expect(pension).to_have_attribute("data-waiting", "2")  # 3 taken, our own gone, plus this one
        assert errors == []
    finally:
        server.stop()
        hall.http.close()


def test_status_page_of_an_unknown_ticket_is_a_friendly_page(tmp_path: Path, browser: Browser) -> None:  # noqa: F811
    config, data, port = demo_hall(tmp_path), tmp_path / "data", free_port()
    server = start_demo(config, data, port)
    try:
        page = browser.new_page(viewport=PHONE_VIEW)  # type: ignore[arg-type]
        response = page.goto(f"http://127.0.0.1:{port}/t/{HALL}/20200101-A001")
        assert response is not None and response.status == 404
        expect(page.locator("h1")).to_contain_text("没有找到这张号票")
        shot(page, "ticket-unknown")
        assert httpx.get(f"http://127.0.0.1:{port}/kiosk/nowhere").status_code == 404
    finally:
        server.stop()
