"""The booking page in real Chromium against a real server: book, see the code, look up, cancel."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from qms.bench.screen import CHROMIUM, FLAGS
from tests.servers import serving
from tests.service.test_booking_service import valid_id

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
    ),
]


def pick_first_free_slot(page: Page) -> str:
    slot = page.locator("#slots button:not([disabled])").first
    expect(slot).to_be_visible()
    start = slot.get_attribute("data-start")
    slot.click()
    assert start is not None
    return start


def test_a_citizen_books_sees_and_cancels_on_a_phone(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(ROOT / "examples" / "street-office.toml", tmp_path / "data") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
            page.goto(f"http://127.0.0.1:{server.port}/book/huaxin-street")
            expect(page.locator("h1")).to_contain_text("华新街道便民服务中心 网上预约")
            expect(page.locator("h1 .en")).to_contain_text("Online booking")
            second = page.locator("#days button").nth(1)  # the second day open for booking
            second.click()
            expect(page.locator("#slots")).to_have_attribute("data-loaded", second.get_attribute("data-date") or "")
            start = pick_first_free_slot(page)

            page.fill("#id_number", "110105194912310021")  # wrong check digit
            page.fill("#phone", "13812345678")
            page.click("#submit")
            expect(page.locator("#result .error")).to_have_attribute("data-code", "invalid_id_number")
            expect(page.locator("#result .error")).to_contain_text("身份证号码有误")

            number = valid_id(7)
            page.fill("#id_number", number)
            page.click("#submit")
            expect(page.locator("#result .ok")).to_contain_text("预约成功")
            code = page.locator("#result .code").inner_text()
            assert len(code) == 8
            line = page.locator("#result .booking")
            expect(line).to_contain_text(start)
            expect(line).to_contain_text(number[:4] + "**********" + number[-4:])  # masked, never whole
            expect(line).to_contain_text("138****5678")
            assert number not in page.content()
            page.screenshot(path=str(ARTIFACTS / "booking-page.png"), full_page=True)

            page.locator(f'#slots button[data-start="{start}"]').click()  # the same again: a duplicate submit
            page.click("#submit")
            expect(page.locator("#result .error")).to_have_attribute("data-code", "duplicate_booking")

            page.click("#lookup")
            mine = page.locator(f'#list .booking[data-code="{code}"]')
            expect(mine).to_contain_text("booked")
            mine.locator("button").click()
            expect(page.locator(f'#list .booking[data-code="{code}"]')).to_contain_text("cancelled")
        finally:
            browser.close()
