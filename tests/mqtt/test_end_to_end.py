"""Devices over MQTT end to end: a real Mosquitto on loopback, the gateway, the hall, SQLite,
the LED bar driver as a child process, and devices as plain aiomqtt clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiomqtt
import pytest

from qms.contract import ScreenState, ServerState, VoiceAnnouncement, WindowDisplay, topics
from qms.core.commands import CallNext, IssueTicket, OpenWindow
from qms.core.model import TicketState, WindowState

from .harness import HALL, PASSWORD, WAIT, device, led_bar, running_hall

pytestmark = pytest.mark.slow
NEXT = b'{"msg_id": "x", "button": "next"}'


async def retained(port: int, topic: str) -> bytes:
    """The retained message on `topic`, as a display that just started would get it."""
    async with aiomqtt.Client("127.0.0.1", port, username="led-w1", password=PASSWORD) as client:
        await client.subscribe(topic, qos=1)
        async for message in client.messages:
            assert isinstance(message.payload, bytes)
            return message.payload
    raise AssertionError("no message")


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time"
        await asyncio.sleep(0.1)


def test_take_call_rate_through_the_broker(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_hall(tmp_path) as hall, led_bar(hall.port) as bar:
            await hall.service.submit(OpenWindow("w1", "zhang.san"))
            async with device("dispenser-1", hall.port) as dispenser:
                ack = await dispenser.send("take", msg_id="take-1", service="social")
                assert ack.ok and "A001" in ack.message
                printed = await dispenser.expect("cmd/print")
                # delivered twice: the same ticket and the same print msg_id, so it prints once
                assert await dispenser.send("take", msg_id="take-1", service="social") == ack
                assert await dispenser.expect("cmd/print") == printed
                assert len((await hall.service.committed()).tickets()) == 1
                refused = await dispenser.send("take", service="no-such-service")
                assert not refused.ok and refused.error == "unknown_service"
            assert printed["number"] == "A001" and printed["msg_id"] == "p-take-1"
            assert printed["qr_url"].endswith("/t/" + printed["ticket"])
            assert printed["service_name"] == "社保卡办理" and printed["people_ahead"] == 0

            async with device("keypad-w1", hall.port) as keypad:
                ack = await keypad.send("button", msg_id="k-1", button="next")
                assert ack.ok and ack.message == "已呼叫 A001"
                frame = await bar.frame("A001")  # the driver process renders the called ticket
                assert frame["frame"].strip() == "请 A001 号" and frame["ticket"] == "A001"
                display = WindowDisplay.decode(await retained(hall.port, topics.window_display(HALL, "w1")))
                assert display.ticket == "A001" and display.text == "请 A001 号"

                # the same msg_id again (a QoS 1 redelivery): the first answer, nothing changes
                await hall.service.submit(IssueTicket("social"))
                again = await keypad.send("button", msg_id="k-1", button="next")
                assert again == ack
                h = await hall.service.committed()
                assert h.ticket(h.window("w1").ticket or "").number == "A001"
                assert h.line.count("social") == 1  # A002 still waits

                assert (await keypad.send("button", button="finish")).ok
            await bar.frame("欢迎您")

            # the waiting-area screen of the zone: recent calls, waiting counts, estimated waits
            async def screen_shows_the_call() -> bool:
                screen = ScreenState.decode(await retained(hall.port, topics.screen(HALL, "main")))
                counts = {q.service: q.waiting for q in screen.waiting}
                etas = {x.service for x in screen.eta}
                return (
                    bool(screen.recent)
                    and screen.recent[0].ticket == "A001"
                    and counts["social"] == 1
                    and ("social" in etas)
                )

            await eventually(screen_shows_the_call)

            async with device("pad-w1", hall.port) as pad:
                ack = await pad.send("rating", msg_id="r-1", level="very_dissatisfied")
                assert ack.ok
                twice = await pad.send("rating", msg_id="r-2", level="satisfied")
                assert not twice.ok and twice.error == "already_rated"
            ratings = await hall.store.ratings(HALL)
            assert len(ratings) == 1
            rating = ratings[0]
            assert rating["level"] == "very_dissatisfied" and rating["bad"] is True
            assert (rating["window"], rating["staff"], rating["service"]) == ("w1", "zhang.san", "social")
            assert rating["ticket"].endswith("A001")

            # the voice module's way out to the zone's players
            async with aiomqtt.Client("127.0.0.1", hall.port, username="led-w1", password=PASSWORD) as player:
                await player.subscribe(topics.voice(HALL, "main"), qos=1)
                assert await hall.gateway.announce("main", "请 A001 号到 1 号窗口办理", "/voice/a001.wav")
                async for message in player.messages:
                    assert isinstance(message.payload, bytes)
                    said = VoiceAnnouncement.decode(message.payload)
                    assert said.text == "请 A001 号到 1 号窗口办理" and said.audio_url == "/voice/a001.wav"
                    break

            async with device("help-1", hall.port) as helper:
                events = hall.service.subscribe()
                assert (await helper.send("help", note="自助区")).ok
                got = await asyncio.wait_for(anext(aiter(events)), WAIT)
                assert type(got).__name__ == "HelpRequested" and got.location == "main"  # type: ignore[union-attr]
                events.close()

    asyncio.run(scenario())


def test_bad_input_is_refused_with_a_reason_and_changes_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_hall(tmp_path) as hall:
            await hall.service.submit(OpenWindow("w1", "zhang.san"))
            await hall.service.submit(IssueTicket("social"))
            before = await hall.store.event_count(HALL)
            async with device("keypad-w1", hall.port) as keypad:
                await keypad.publish("button", b"{not json")
                ack = await keypad.expect("ack")
                assert ack["ok"] is False and ack["error"] == "bad_json" and ack["msg_id"] == "-"
                cases = [
                    ("button", {"msg_id": "a1", "button": "explode"}, "bad_value"),
                    ("button", {"msg_id": "a2"}, "missing_field"),
                    ("button", {"msg_id": "a3", "button": "next", "window": "w2"}, "wrong_window"),
                    ("take", {"msg_id": "a4", "service": "social"}, "wrong_kind"),
                    ("selfdestruct", {"msg_id": "a5"}, "wrong_kind"),
                    ("button", {"msg_id": "a6", "button": "recall"}, "no_ticket_at_window"),
                ]
                for name, payload, code in cases:
                    await keypad.publish(name, payload)
                    got = await keypad.expect("ack", payload["msg_id"])
                    assert (got["ok"], got["error"]) == (False, code), (name, payload, got)
                    if code == "no_ticket_at_window":  # the keypad's display reads Chinese
                        assert got["message"] == "本窗口没有已呼叫的号，请先叫号", got
                # a refused msg_id stays refused, even once the window could do it
                await keypad.publish("button", {"msg_id": "a3", "button": "next"})
                assert (await keypad.expect("ack", "a3"))["error"] == "wrong_window"
            async with device("keypad-w2", hall.port) as other:
                ack2 = await other.send("button", button="next")  # w2 is closed
                assert not ack2.ok and ack2.error == "window_closed"
            assert await hall.store.event_count(HALL) == before
            h = await hall.service.committed()
            assert h.window("w1").state is WindowState.IDLE and h.line.count("social") == 1

            # a device the hall does not know (the broker let it in: the ACL is not the only guard)
            async with aiomqtt.Client(
                "127.0.0.1", hall.port, username="qms-server", password=hall.broker.server_password
            ) as c:
                await c.subscribe(topics.device_ack(HALL, "ghost"), qos=1)
                await c.publish(topics.device_event(HALL, "ghost", "button"), b'{"msg_id":"g","button":"next"}', qos=1)
                async for message in c.messages:
                    assert isinstance(message.payload, bytes)
                    assert json.loads(message.payload)["error"] == "unknown_device"
                    break

    asyncio.run(scenario())


def test_a_device_cannot_write_as_another(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_hall(tmp_path) as hall:
            await hall.service.submit(OpenWindow("w2", "li.si"))
            await hall.service.submit(IssueTicket("social"))
            # keypad-w1 publishes as keypad-w2: the broker's ACL drops it, nothing happens
            async with aiomqtt.Client("127.0.0.1", hall.port, username="keypad-w1", password=PASSWORD) as c:
                await c.publish(
                    topics.device_event(HALL, "keypad-w2", "button"), b'{"msg_id":"x","button":"next"}', qos=1
                )
            await asyncio.sleep(0.3)
            h = await hall.service.committed()
            assert h.window("w2").state is WindowState.IDLE

    asyncio.run(scenario())


def test_broker_killed_and_restarted_loses_no_call_and_shows_no_stale_state(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_hall(tmp_path) as hall, led_bar(hall.port) as bar:
            await hall.service.submit(OpenWindow("w1", "zhang.san"))
            for _ in range(3):
                await hall.service.submit(IssueTicket("social"))
            async with device("keypad-w1", hall.port) as keypad:
                assert (await keypad.send("button", button="next")).message == "已呼叫 A001"
                await bar.frame("A001")
                assert (await keypad.send("button", button="finish")).ok

            hall.broker.kill()
            await bar.frame("系统维护中")
            # meanwhile the hall goes on (the staff page): calls that no display has seen yet
            await hall.service.submit(CallNext("w1"))  # A002 called while the broker is down
            await hall.broker.start()  # same port, same persistence: it may hold older retained state
            await asyncio.wait_for(hall.gateway.connected.wait(), WAIT)
            frame = await bar.frame("A002")
            assert frame["frame"].strip() == "请 A002 号"
            display = WindowDisplay.decode(await retained(hall.port, topics.window_display(HALL, "w1")))
            assert display.ticket == "A002"
            assert ServerState.decode(await retained(hall.port, topics.server(HALL))) is ServerState.READY

            # a press during an outage is retried by the keypad with the same msg_id until answered
            async with device("keypad-w1", hall.port) as keypad:
                assert (await keypad.send("button", button="finish")).ok
                hall.broker.kill()
                restart = asyncio.create_task(_restart_later(hall))
                msg = {"msg_id": "during-outage", "button": "next"}
                ack = await _send_until_answered(hall.port, msg, restart)
                assert ack["ok"] and ack["message"] == "已呼叫 A003"
            h = await hall.service.committed()
            assert h.ticket(h.window("w1").ticket or "").number == "A003"
            calls = [t for t in h.tickets() if t.state is TicketState.CALLED]
            assert len(calls) == 1  # the retried press called once
            await bar.frame("A003")

    asyncio.run(scenario())


async def _restart_later(hall: object) -> None:
    await asyncio.sleep(0.5)
    await hall.broker.start()  # type: ignore[attr-defined]


async def _send_until_answered(port: int, msg: dict[str, str], restart: asyncio.Task[None]) -> dict[str, object]:
    """What a keypad (or the bridge) does: resend the same msg_id until its ack comes."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while asyncio.get_running_loop().time() < deadline:
        try:
            async with device("keypad-w1", port) as keypad:
                for _ in range(2):  # each send may be delivered; the hall acts once
                    await keypad.publish("button", msg)
                    try:
                        return await asyncio.wait_for(keypad.expect("ack", msg["msg_id"]), 1.0)
                    except TimeoutError:
                        continue
        except aiomqtt.MqttError:
            await asyncio.sleep(0.1)
    await restart
    raise AssertionError("no ack")
