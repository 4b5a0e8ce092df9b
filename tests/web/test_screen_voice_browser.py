"""The screen speaks its zone's calls: real Chromium, a real `qms demo` with espeak-ng's voice.

Headless Chromium has no sound card here, yet it plays WAVs in real time to a null output and
fires `ended`, so the test sees what a hall's TV does: each announcement's WAV fetched (200)
and played to its end, the next only after. The kiosk flag `--autoplay-policy=no-user-gesture-
required` lets the page play at once; a browser without it must show the tap-to-turn-on button.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from qms.bench.api import free_port
from tests.servers import Server
from tests.web.conftest import page_settings
from tests.web.test_screen_browser import CHROMIUM, CHROMIUM_FLAGS, HALL, Hall, demo_hall, shot, start_demo

pytestmark = pytest.mark.slow

KIOSK_FLAGS = [*CHROMIUM_FLAGS, "--autoplay-policy=no-user-gesture-required"]
# what a desktop browser does; stated, since a headless browser's own default may differ
DESKTOP_FLAGS = [*CHROMIUM_FLAGS, "--autoplay-policy=user-gesture-required"]
HISTORY = "() => window.qmsVoice.history.map(e => ({...e}))"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo hall, short announcements (no chime, said once), its voice pack rendered."""
    tmp = tmp_path_factory.mktemp("voice-screen")
    config = demo_hall(tmp)
    text = config.read_text(encoding="utf-8")
    for old, new in (
        ("repeat = 2 ", "repeat = 1 "),
        ("chime = true ", "chime = false "),
        ("rate = 150 ", "rate = 400 "),
    ):
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    server = start_demo(config, tmp / "data", free_port())
    try:
        deadline = time.monotonic() + 60
        while not httpx.get(f"{server.api}/halls/{HALL}/voice").json()["ready"]:
            assert time.monotonic() < deadline, "the voice pack was not ready in 60 s"
            time.sleep(0.2)
        yield server
    finally:
        server.stop()


@pytest.fixture
def hall(server: Server) -> Iterator[Hall]:
    hall = Hall(server.port)
    hall.login()
    try:
        yield hall
    finally:
        hall.http.close()


def open_screen(browser: Browser, base: str, query: str, errors: list[str], sockets: list[str]) -> Page:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{base}/halls/{HALL}/screen{query}")
    expect(page.locator("#conn")).to_have_class("conn online")
    return page


def played(page: Page, count: int) -> list[dict[str, Any]]:
    """The page's first `count` announcements, once each has played to its end."""
    page.wait_for_function(
        "n => window.qmsVoice.history.filter(e => e.ended !== null).length >= n", arg=count, timeout=15_000
    )
    history: list[dict[str, Any]] = page.evaluate(HISTORY)
    return history[:count]


def call(hall: Hall, window: str) -> str:
    number: str = hall.act(window, "call-next")["ticket"]["number"]
    return number


def test_a_zone_screen_plays_its_calls_in_turn_each_to_its_end(
    server: Server, hall: Hall, playwright: Playwright
) -> None:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=KIOSK_FLAGS)
    errors: list[str] = []
    sockets: list[str] = []
    try:
        zone = open_screen(browser, hall.base, "?zone=floor1", errors, sockets)
        quiet: list[str] = []
        wavs: list[tuple[str, int]] = []
        zone.on("response", lambda r: wavs.append((r.url, r.status)) if r.url.endswith(".wav") else None)
        # the whole-hall screen of a hall with two zones is silent unless asked (sound=on): it would say
        # every zone's calls, which the zones' own screens say; asked, it gets them at once and must queue them
        assert page_settings("screen", httpx.get(f"{hall.base}/halls/{HALL}/screen").text)["sound"] == "off"
        whole = open_screen(browser, hall.base, "?sound=on", errors, sockets)
        silent = open_screen(browser, hall.base, "?zone=floor1&sound=off", errors, quiet)
        for page in (zone, whole):
            expect(page.locator("#screen")).to_have_attribute("data-sound", "on")
        expect(silent.locator("#screen")).to_have_attribute("data-sound", "off")

        for window in ("w1", "w2", "w25"):
            hall.act(window, "open")
        first = hall.issue("pension")
        assert call(hall, "w1") == first
        # the call being spoken carries the speaker icon
        expect(zone.locator("#screen")).to_have_attribute("data-speaking", first)
        expect(zone.locator("#hero.speaking .speaker")).to_have_count(1)
        shot(zone, "screen-speaking")
        upstairs = hall.issue("tax-filing")  # w25 serves pension too: one ticket at a time
        assert call(hall, "w25") == upstairs
        second = hall.issue("pension")
        assert call(hall, "w2") == second

        history = played(zone, 2)
        assert [e["ticket"] for e in history] == [first, second]
        assert all(e["how"] == "ended" for e in history)
        assert history[1]["started"] >= history[0]["ended"]  # the second only once the first had ended
        for entry in history:  # each played for about its length (not cut short)
            assert entry["ended"] - entry["started"] >= 0.8 * entry["duration"] * 1000, entry
        assert wavs == [(f"{hall.base}{e['url']}", 200) for e in history]
        expect(zone.locator("#screen")).not_to_have_attribute("data-speaking", first)
        expect(zone.locator(".speaker")).to_have_count(0)

        # floor 1's first call and floor 2's come to the whole-hall screen together: one waits its turn
        everything = played(whole, 3)
        assert {e["ticket"] for e in everything} == {first, second, upstairs}
        assert everything[0]["ticket"] == first and everything[2]["ticket"] == second
        for before, after in itertools.pairwise(everything):
            assert after["started"] >= before["ended"], everything
        assert everything[1]["queued"] < everything[0]["ended"]  # it had arrived while the first played

        # sound=off: the screen shows the calls and never connects to the voice
        expect(silent.locator("#hero")).to_have_attribute("data-ticket", second)
        assert sorted(url.split("/api/v1/halls/")[1] for url in sockets if "/voice/" in url) == [
            f"{HALL}/voice/stream",
            f"{HALL}/voice/stream?zone=floor1",
        ]
        assert [url for url in quiet if "/voice" in url] == [] and len(quiet) == 1  # the events only
        assert silent.evaluate("window.qmsVoice.history.length") == 0
        assert errors == []
    finally:
        browser.close()


def test_without_the_kiosk_flag_a_tap_turns_the_sound_on_and_is_remembered(
    server: Server, hall: Hall, playwright: Playwright
) -> None:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=DESKTOP_FLAGS)
    errors: list[str] = []
    sockets: list[str] = []
    try:
        page = open_screen(browser, hall.base, "?zone=floor2", errors, sockets)
        button = page.locator("#sound-unlock")
        expect(button).to_be_visible()
        expect(button).to_contain_text("点击开启语音")
        expect(button).to_contain_text("Tap to turn on sound")
        expect(page.locator("#screen")).to_have_attribute("data-sound", "locked")
        assert not [url for url in sockets if "/voice/stream" in url]  # calls made while mute are not kept
        shot(page, "screen-sound-locked")

        button.click()
        expect(page.locator("#screen")).to_have_attribute("data-sound", "on")
        expect(button).to_have_count(0)
        assert page.evaluate(f"localStorage.getItem('qms-screen-sound:{HALL}:floor2')") == "on"
        hall.issue("tax-filing")
        hall.act("w26", "open")
        number = call(hall, "w26")
        assert [e["ticket"] for e in played(page, 1)] == [number]

        # reloaded, it is mute again until a tap; the choice is remembered: any key or tap will do
        page.reload()
        expect(page.locator("#screen")).to_have_attribute("data-sound", "locked")
        page.keyboard.press("Space")
        expect(page.locator("#screen")).to_have_attribute("data-sound", "on")
        expect(page.locator("#sound-unlock")).to_have_count(0)

        # a hall whose voice is off (`[voice] enabled = false` answers `voice: false`): no button, no stream
        mute: list[str] = []
        off = '{"hall": "qingyuan", "voice": false, "engine": null, "ready": true, "zones": []}'
        quiet = browser.new_page(viewport={"width": 1920, "height": 1080})
        quiet.on("websocket", lambda ws: mute.append(ws.url))
        quiet.route(
            f"**/api/v1/halls/{HALL}/voice", lambda route: route.fulfill(body=off, content_type="application/json")
        )
        quiet.goto(f"{hall.base}/halls/{HALL}/screen?zone=floor2")
        expect(quiet.locator("#screen")).to_have_attribute("data-sound", "unavailable")
        expect(quiet.locator("#sound-unlock")).to_have_count(0)
        assert [url for url in mute if "/voice" in url] == []
        assert errors == []
    finally:
        browser.close()
