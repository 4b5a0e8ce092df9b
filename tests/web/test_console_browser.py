"""The staff console in real Chromium at 1366x768, against a real `qms demo --around-the-clock`.

A staff member logs in, opens window 3, and takes tickets through their visit with the
keyboard shortcuts: call, start, finish; transfer; pause with a reason and resume. Actions
made through the API by another client (as the physical keypad's bridge makes them) show on
the console at once; after the server restarts the console reconnects by itself, and a token
the server refuses takes it back to the login form. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from qms.bench.api import free_port

from .test_screen_browser import HALL, Hall, demo_hall, shot, start_demo
from .test_screen_browser import browser as browser  # the module's one Chromium (a fixture)

pytestmark = pytest.mark.slow


def log_in(page: Page, base: str, window: str) -> None:
    page.goto(f"{base}/console/{HALL}")
    page.fill("#username", "admin")
    page.fill("#password", "admin123")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#choose-view")).to_be_visible()
    expect(page.locator(f'#window-select option[value="{window}"]')).to_have_count(1)
    page.select_option("#window-select", window)
    page.click("#choose-form button[type=submit]")
    expect(page.locator("#desk-view")).to_be_visible()
    expect(page.locator("#conn")).to_have_class("conn online")


def test_a_visit_with_the_keyboard_transfer_pause_the_keypad_in_step_and_a_restart(
    tmp_path: Path, browser: Browser
) -> None:
    config, data, port = demo_hall(tmp_path), tmp_path / "data", free_port()
    server = start_demo(config, data, port)
    hall = Hall(port)
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        hall.login()
        log_in(page, hall.base, "w3")
        state, ticket, message = page.locator("#window-state"), page.locator("#ticket"), page.locator("#message")
        expect(state).to_have_attribute("data-state", "idle")
        expect(page.locator("#window-name")).to_contain_text("3号综合窗口")
        pension = page.locator('#queues tr[data-service="pension"]')
        expect(pension).to_have_attribute("data-waiting", "0")

        first = hall.issue("pension")
        expect(pension).to_have_attribute("data-waiting", "1")  # live: the queue this window serves
        page.keyboard.press("F1")
        expect(ticket).to_have_attribute("data-ticket", first)
        expect(state).to_have_attribute("data-state", "calling")
        expect(page.locator("#t-calls")).to_contain_text("1")
        expect(pension).to_have_attribute("data-waiting", "0")
        page.keyboard.press("F4")
        expect(ticket).to_have_attribute("data-state", "serving")
        expect(page.locator("#t-time")).to_contain_text("办理用时")
        shot(page, "console-serving")
        page.keyboard.press("F6")  # 办结
        expect(ticket).to_have_attribute("data-ticket", "")
        expect(state).to_have_attribute("data-state", "idle")
        expect(message).to_contain_text(f"已完成 {first}")

        # nobody waiting: the API's plain words
        page.keyboard.press("F1")
        expect(message).to_contain_text("无人等候 · nobody is waiting")

        # a refusal reads in Chinese first, with the server's English (and its numbers) beneath
        page.keyboard.press("c")
        page.fill('#dialog-call input[name="ticket"]', first)
        page.fill('#dialog-call input[name="reason"]', "再问一下")
        page.keyboard.press("Enter")
        expect(message).to_contain_text(f"操作未成功：该号已办结 · Not done: ticket {first} is finished")
        expect(ticket).to_have_attribute("data-ticket", "")

        # transfer to another service through the dialog
        second = hall.issue("pension")
        page.keyboard.press("F1")
        expect(ticket).to_have_attribute("data-ticket", second)
        page.keyboard.press("t")
        expect(page.locator("#dialog-transfer")).to_be_visible()
        page.select_option('#dialog-transfer select[name="to_service"]', "tax-filing")
        page.fill('#dialog-transfer input[name="reason"]', "需办理税务")
        page.click("#dialog-transfer button[type=submit]")
        expect(message).to_contain_text(f"已转移 {second}")
        expect(ticket).to_have_attribute("data-ticket", "")
        moved = hall.http.get("/tickets", headers={"Authorization": f"Bearer {hall.token}"}).json()["tickets"]
        assert [t["service"] for t in moved if t["number"] == second] == ["tax-filing"]

        # pause with a reason, resume
        page.keyboard.press("p")
        page.fill('#dialog-pause input[name="reason"]', "会议")
        page.keyboard.press("Enter")
        expect(state).to_have_attribute("data-state", "paused")
        expect(page.locator("#pause-reason")).to_contain_text("会议")
        expect(page.locator('#actions button[data-action="call-next"]')).to_be_disabled()
        page.keyboard.press("r")
        expect(state).to_have_attribute("data-state", "idle")

        # hold a ticket while the citizen fetches a document, call another by number, take the held one back
        held = hall.issue("pension")
        other = hall.issue("pension")
        page.keyboard.press("F1")
        expect(ticket).to_have_attribute("data-ticket", held)
        page.keyboard.press("h")
        page.fill('#dialog-hold input[name="reason"]', "回去取材料")
        page.keyboard.press("Enter")
        expect(page.locator(f'#held li[data-ticket="{held}"]')).to_have_count(1)
        expect(ticket).to_have_attribute("data-ticket", "")
        page.keyboard.press("c")
        page.fill('#dialog-call input[name="ticket"]', other.lower())
        page.fill('#dialog-call input[name="reason"]', "老人优先")
        page.keyboard.press("Enter")
        expect(ticket).to_have_attribute("data-ticket", other)
        page.keyboard.press("F3")  # 过号
        expect(ticket).to_have_attribute("data-ticket", "")
        page.keyboard.press("u")
        expect(page.locator("#dialog-unhold")).to_be_visible()
        page.keyboard.press("Enter")
        expect(ticket).to_have_attribute("data-ticket", held)
        expect(page.locator("#held li[data-ticket]")).to_have_count(0)
        page.keyboard.press("F4")
        page.keyboard.press("F8")  # 材料不全
        expect(ticket).to_have_attribute("data-ticket", "")

        # the keypad (another client of the API) calls and starts: the console follows at once
        third = hall.issue("pension")
        hall.act("w3", "call-next")
        expect(ticket).to_have_attribute("data-ticket", third)
        hall.act("w3", "recall")
        expect(page.locator("#t-calls")).to_contain_text("2")
        hall.act("w3", "start")
        expect(ticket).to_have_attribute("data-state", "serving")
        shot(page, "console-1366x768")

        server.stop()
        expect(page.locator("#conn")).to_have_class("conn offline")
        expect(ticket).to_have_attribute("data-ticket", third)  # the last state stays
        server = start_demo(config, data, port)
        expect(page.locator("#conn")).to_have_class("conn online", timeout=15_000)
        hall.act("w3", "finish", outcome="accepted")  # live again after the restart
        expect(ticket).to_have_attribute("data-ticket", "")
        fourth = hall.issue("pension")
        page.keyboard.press("F1")
        expect(ticket).to_have_attribute("data-ticket", fourth)
        shot(page, "console-after-restart")

        # a token the server refuses: back to the login form, in plain words
        spoil = "k => { const s = JSON.parse(sessionStorage.getItem(k)); s.token = 'x.y';"
        page.evaluate(spoil + " sessionStorage.setItem(k, JSON.stringify(s)); }", f"qms-staff:{HALL}")
        page.reload()
        expect(page.locator("#login-view")).to_be_visible()
        expect(page.locator("#message")).to_contain_text("重新登录")
        assert errors == []
    finally:
        page.close()
        server.stop()
        hall.http.close()
