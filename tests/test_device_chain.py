"""The whole device chain at once, for real: pty emulators -> `python -m firmware_bridge` ->
Mosquitto on loopback -> `qms serve` -> SQLite, and back to the LED bar's pty and to the
waiting-area screen in real Chromium.

The first test runs on the server's managed Mosquitto and kills it (SIGKILL) in the middle: the
server starts it again by itself. The second runs the same broker configuration as an external
broker (`QMS_MQTT_URL`), which the test kills and starts again itself, a press made during the
outage in between.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from firmware_bridge.messages import AckResult, Key
from qms.bench.chain_hall import HALL, STAFF, Chain, hall_toml, running_chain
from qms.config import loads_hall
from qms.mqtt.broker import SERVER_USER, ManagedBroker, free_port
from tests.mqtt.test_serve import children, command_of
from tests.web.test_screen_browser import CHROMIUM, CHROMIUM_FLAGS

pytestmark = pytest.mark.slow


@asynccontextmanager
async def screen(chain: Chain) -> AsyncIterator[Page]:
    """The waiting-area screen of the window's zone in Chromium at 1920x1080, online."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(f"{chain.base}/halls/{HALL}/screen?zone=main")
            await expect(page.locator("#conn")).to_have_class("conn online")
            yield page
            assert errors == []
        finally:
            await browser.close()


async def sign_in(chain: Chain) -> None:
    """Staff member 1024 types their 工号 and OPEN: the window opens, the LED bar welcomes."""
    assert await chain.press(Key.OPEN, STAFF) is AckResult.OK
    await chain.led_shows("欢迎您")
    await chain.keypad.wait_for(lambda k: k.shown is not None and k.shown.text == f"{STAFF} 已登录")


async def shown_everywhere(chain: Chain, page: Page, number: str) -> None:
    """The called number on the LED bar and on the screen, and the keypad says it was called."""
    await chain.led_shows(number)
    await expect(page.locator("#hero")).to_have_attribute("data-ticket", number)
    await chain.keypad.wait_for(lambda k: k.shown is not None and number in k.shown.text)


def test_calls_show_on_led_bar_and_screen_tickets_print_ratings_are_stored_a_dead_broker_restarts(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with running_chain(tmp_path) as chain, screen(chain) as page:
            # A citizen takes a ticket at the dispenser: the printer gets it, in GB18030, with its QR code.
            assert await chain.panel.take(1) is AckResult.OK
            (job,) = await chain.printer.wait_for_jobs(1, within=10)
            assert "A001".encode("gb18030") in job.raw and "事项00".encode("gb18030") in job.raw
            assert job.cut and len(job.qr_codes) == 1
            (link,) = job.qr_codes
            page_link, _, key = link.partition("?k=")  # the ticket's key: its holder may rate on the phone
            assert page_link.startswith(f"{chain.base}/t/{HALL}/") and page_link.endswith("-A001") and len(key) == 16
            async with httpx.AsyncClient(timeout=10) as http:
                response = await http.get(link)  # the QR code's link is the ticket's status page (一码办事)
            assert response.status_code == 200, response.text
            assert "非常不满意" in response.text  # the keyed page offers 好差评
            assert "A001" in response.text and "事项00" in response.text

            await sign_in(chain)
            assert await chain.press(Key.NEXT) is AckResult.OK
            await shown_everywhere(chain, page, "A001")
            assert chain.led.shown is not None and chain.led.shown.blink  # a new call blinks

            assert await chain.press(Key.FINISH) is AckResult.OK
            await chain.led_shows("欢迎您")
            assert await chain.pad.rate(5) is AckResult.OK  # 非常满意
            await chain.pad.wait_for(lambda p: p.shown is not None and p.shown.text == "感谢您的评价")

            # The managed Mosquitto dies (kill -9); the server starts it again, and the press made
            # around the outage calls the next ticket, on the LED bar and on the screen.
            assert await chain.panel.take(1) is AckResult.OK
            await chain.printer.wait_for_jobs(2, within=10)
            (broker,) = [p for p in children(chain.server.pid) if "mosquitto" in command_of(p)]
            os.kill(broker, signal.SIGKILL)
            answers = await press_until_taken(chain, Key.NEXT)
            await shown_everywhere(chain, page, "A002")
            (again,) = [p for p in children(chain.server.pid) if "mosquitto" in command_of(p)]
            assert again != broker and answers[-1] is AckResult.OK
            await asyncio.sleep(1.5)  # the bridge would have sent an unanswered event again by now
            assert "A002" in chain.led_text()
            await expect(page.locator("#hero")).to_have_attribute("data-ticket", "A002")

        with sqlite3.connect(chain.database) as db:  # the server has stopped: read its file
            rows = db.execute('SELECT ticket, "window", staff, level, bad, device FROM ratings').fetchall()
        db.close()
        assert len(rows) == 1  # A001's; A002 is being served
        ticket_id, window, staff, level, bad, device = rows[0]
        assert ticket_id.endswith("-A001") and (window, staff, bad, device) == ("w1", STAFF, 0, "pad-w1")
        assert level == "very_satisfied"

    asyncio.run(main())


async def press_until_taken(chain: Chain, key: Key) -> list[AckResult | None]:
    """Press until the bridge acknowledges (OK once the broker has the event), as staff do when
    the keypad says it failed; the answers, in order."""
    answers = []
    async with asyncio.timeout(15):
        while True:
            answers.append(await chain.press(key))
            if answers[-1] is AckResult.OK:
                return answers
            await asyncio.sleep(0.2)


def test_a_press_around_a_broker_outage_is_not_lost_and_nothing_stale_is_shown(tmp_path: Path) -> None:
    async def main() -> None:
        devices = loads_hall(hall_toml()).devices
        broker = ManagedBroker(tmp_path / "broker", HALL, devices, port=free_port())
        address = await broker.start()
        url = f"mqtt://{SERVER_USER}:{broker.server_password}@127.0.0.1:{address.port}"
        try:
            async with (
                running_chain(tmp_path / "hall", mqtt_port=address.port, env={"QMS_MQTT_URL": url}) as chain,
                screen(chain) as page,
            ):
                async with httpx.AsyncClient(base_url=chain.base, timeout=10) as http:
                    for _ in range(3):
                        response = await http.post(f"/api/v1/halls/{HALL}/tickets", json={"service": "s00"})
                        assert response.status_code == 201, response.text
                await sign_in(chain)
                assert await chain.press(Key.NEXT) is AckResult.OK
                await shown_everywhere(chain, page, "A001")
                assert await chain.press(Key.FINISH) is AckResult.OK
                await chain.led_shows("欢迎您")

                broker.kill()  # kill -9: nothing saved, every connection cut at once
                answers = [await chain.press(Key.NEXT)]  # during the outage: the keypad is told it failed
                assert answers == [AckResult.BUSY]
                await asyncio.sleep(0.5)
                await broker.start()
                answers += await press_until_taken(chain, Key.NEXT)
                # Taken by the hall, once: A002 is called (the press is not lost), on the LED bar as
                # on the screen, and the bar does not fall back to the welcome text it had before.
                await shown_everywhere(chain, page, "A002")
                await asyncio.sleep(1.5)  # the bridge would have sent an unanswered event again by now
                assert "A002" in chain.led_text()
                await expect(page.locator("#hero")).to_have_attribute("data-ticket", "A002")

                assert await chain.press(Key.FINISH) is AckResult.OK  # and the chain goes on as before
                assert await chain.press(Key.NEXT) is AckResult.OK
                await shown_everywhere(chain, page, "A003")
        finally:
            await broker.stop()

    asyncio.run(main())
