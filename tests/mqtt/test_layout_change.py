"""The device gateway after a layout change: a window added on the admin pages gets its LED bar
display and shows on the zone's screen, a new zone gets its screen; removing them again clears
their retained state (a bar or screen that subscribes later finds none) and leaves the gateway
working."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import aiomqtt
import pytest

from qms.contract import ScreenState, WindowDisplay, topics
from qms.core import commands as c
from qms.core.model import WindowConfig, WindowKind

from .harness import HALL, PASSWORD, running_hall
from .test_end_to_end import eventually, retained


async def nothing_retained(port: int, topic: str) -> bool:
    """True when a subscriber to `topic` gets no retained message within half a second."""
    async with aiomqtt.Client("127.0.0.1", port, username="led-w1", password=PASSWORD) as client:
        await client.subscribe(topic, qos=1)
        try:
            async with asyncio.timeout(0.5):
                async for _ in client.messages:
                    return False
        except TimeoutError:
            pass
    return True


pytestmark = pytest.mark.slow


def test_a_new_window_has_its_display_and_screen_calls(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_hall(tmp_path) as hall:
            config = hall.service.config
            added = WindowConfig("w9", 9, WindowKind.GENERAL, name="9号窗口")
            upstairs = WindowConfig("w8", 8, WindowKind.GENERAL, zone="upstairs")
            windows = (*config.windows, added, upstairs)
            await hall.service.submit(c.ChangeLayout(replace(config, windows=windows), "windows"))
            await hall.service.submit(c.OpenWindow("w9", "zhao"))
            await hall.service.submit(c.IssueTicket("social"))
            await hall.service.submit(c.CallNext("w9"))

            async def bar_shows_it() -> bool:
                display = WindowDisplay.decode(await retained(hall.port, topics.window_display(HALL, "w9")))
                return display.ticket == "A001"

            async def screen_shows_it() -> bool:
                screen = ScreenState.decode(await retained(hall.port, topics.screen(HALL, "main")))
                return bool(screen.recent) and screen.recent[0].window == "w9"

            async def upstairs_has_its_screen() -> bool:
                screen = ScreenState.decode(await retained(hall.port, topics.screen(HALL, "upstairs")))
                return screen.recent == () and "social" in [q.service for q in screen.waiting]

            await eventually(bar_shows_it)
            await eventually(screen_shows_it)
            await eventually(upstairs_has_its_screen)

            await hall.service.submit(c.FinishService("w9"))
            await hall.service.submit(c.CloseWindow("w9"))
            await hall.service.submit(c.ChangeLayout(config, "windows"))  # w9 and upstairs go again

            async def gone_from_the_broker() -> bool:
                bar = await nothing_retained(hall.port, topics.window_display(HALL, "w9"))
                return bar and await nothing_retained(hall.port, topics.screen(HALL, "upstairs"))

            await eventually(gone_from_the_broker)
            await hall.service.submit(c.OpenWindow("w1", "li"))
            await hall.service.submit(c.IssueTicket("social"))
            await hall.service.submit(c.CallNext("w1"))

            async def screen_shows_w1() -> bool:
                screen = ScreenState.decode(await retained(hall.port, topics.screen(HALL, "main")))
                return bool(screen.recent) and screen.recent[0].window == "w1"

            await eventually(screen_shows_w1)
            assert all(not task.done() for task in hall.gateway._tasks)  # nothing died on the way

    asyncio.run(asyncio.wait_for(scenario(), 60))  # `retained` waits for ever on a topic never published
