"""The device side of the hall, for real: emulators on ptys -> bridge -> Mosquitto on loopback, and back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiomqtt
import pytest

from firmware_bridge.messages import AckResult, Key, StatusFlag
from firmware_bridge.mosquitto import Mosquitto
from qms.contract import (
    Ack,
    Button,
    ButtonPressed,
    DisplayState,
    HelpPressed,
    PrintTicket,
    RatingGiven,
    RatingLevel,
    TakeTicket,
    WindowDisplay,
)
from tests.firmware_bridge.chain import Chain, Received, chain

pytestmark = pytest.mark.slow


def distinct(messages: list[Received]) -> list[ButtonPressed]:
    """Button events in order, each msg_id once: the bridge sends an unanswered event again."""
    seen: dict[str, ButtonPressed] = {}
    for m in messages:
        event = ButtonPressed.decode(m.payload)
        seen.setdefault(event.msg_id, event)
    return list(seen.values())


def run(broker: Mosquitto, folder: Path, scenario, **kw) -> None:
    async def main() -> None:
        async with chain(broker.port, folder, **kw) as c:
            await scenario(c)

    asyncio.run(main())


def test_a_keypad_press_becomes_a_button_event_with_a_msg_id(broker: Mosquitto, tmp_path: Path) -> None:
    async def scenario(c: Chain) -> None:
        assert await c.keypad.press_key(Key.OPEN, "1024") is AckResult.OK  # 工号 1024 signs in
        assert await c.keypad.press_key(Key.NEXT) is AckResult.OK  # acknowledged once the broker had it
        assert await c.keypad.press_key(Key.TRANSFER, "12") is AckResult.OK
        topic = c.topic("dev", "keypad-w2", "evt", "button")
        await c.recorder.wait_for(lambda m: m.topic == topic and b"transfer" in m.payload)
        sign_in, first, second = distinct(c.recorder.on(topic))
        assert (sign_in.button, sign_in.staff, sign_in.window) == (Button.OPEN, "1024", "w2")
        assert first.button is Button.NEXT and first.window == "w2"
        assert second.button is Button.TRANSFER and second.to_window == "w12"
        assert first.msg_id and second.msg_id and first.msg_id != second.msg_id
        assert not any(m.retain for m in c.recorder.on(topic))  # events are never retained

    run(broker, tmp_path, scenario)


def test_a_retained_window_display_is_shown_on_the_led_bar(broker: Mosquitto, tmp_path: Path) -> None:
    async def before_start(c: Chain) -> None:
        # Retained before the bridge even starts: the LED bar shows it as soon as both are up.
        display = WindowDisplay(seq=10, ticket="A023", text="请 A023 号到 2 号窗口", state=DisplayState.CALLING)
        await c.mqtt.publish(c.topic("window", "w2", "display"), display.encode(), qos=1, retain=True)

    async def scenario(c: Chain) -> None:
        await c.led.wait_for(lambda led: led.shown is not None and led.shown.text == "请 A023 号到 2 号窗口")
        assert c.led.shown is not None and c.led.shown.blink  # a new call blinks
        paused = WindowDisplay(seq=12, ticket=None, text="暂停服务", state=DisplayState.PAUSED)
        stale = WindowDisplay(seq=11, ticket="A024", text="请 A024 号到 2 号窗口", state=DisplayState.CALLING)
        await c.mqtt.publish(c.topic("window", "w2", "display"), paused.encode(), qos=1, retain=True)
        await c.led.wait_for(lambda led: led.shown is not None and led.shown.text == "暂停服务")
        await c.mqtt.publish(c.topic("window", "w2", "display"), stale.encode(), qos=1, retain=True)
        await asyncio.sleep(0.3)
        assert c.led.shown is not None and c.led.shown.text == "暂停服务"  # a late frame changes nothing
        # An LED bar that reboots gets the window's current text again.
        c.led.power_off()
        await c.recorder.last_on(c.topic("dev", "led-w2", "$state"), b"lost")
        c.led.power_on()
        await c.led.wait_for(lambda led: led.shown is not None and led.shown.text == "暂停服务")
        await c.mqtt.publish(c.topic("window", "w2", "display"), b"", qos=1, retain=True)  # tidy the broker

    run(broker, tmp_path, scenario, before_start=before_start)


TICKET = PrintTicket(
    msg_id="print-1",
    ticket="20261122-A023",
    number="A023",
    service="pension",
    service_name="社保 · 养老保险",
    hall_name="清远市政务服务中心",
    issued_at="2026-11-22T09:31:00+08:00",
    people_ahead=12,
    eta_minutes=25,
    qr_url="https://qms.example.cn/t/qingyuan/20261122-A023",
)


def test_a_print_command_prints_one_ticket_in_gb18030_with_a_qr_code(broker: Mosquitto, tmp_path: Path) -> None:
    async def scenario(c: Chain) -> None:
        ack_topic = c.topic("dev", "dispenser-1", "ack")
        for _ in range(2):  # the server repeats its command: one ticket, the same answer twice
            await c.mqtt.publish(c.topic("dev", "dispenser-1", "cmd", "print"), TICKET.encode(), qos=1)
        await c.recorder.wait_for(lambda m: m.topic == ack_topic and len(c.recorder.on(ack_topic)) == 2)
        (job,) = await c.printer.wait_for_jobs(1)
        acks = [Ack.decode(m.payload) for m in c.recorder.on(ack_topic)]
        assert [(a.msg_id, a.ok) for a in acks] == [("print-1", True), ("print-1", True)]
        assert "A023".encode("gb18030") in job.raw and "社保 · 养老保险".encode("gb18030") in job.raw
        number = next(line for line in job.lines if line.text == "A023")
        assert (number.width, number.height, number.bold) == (4, 4, True)  # large, across the hall
        assert "您前面还有 12 人" in job.text and "预计等候约 25 分钟" in job.text
        assert "取号时间 2026-11-22 09:31" in job.text
        assert job.qr_codes == (TICKET.qr_url,) and job.cut
        assert (tmp_path / "ticket-0001.txt").read_text(encoding="utf-8") == job.render()
        await asyncio.sleep(0.2)
        assert len(c.printer.jobs) == 1

        c.printer.flags = StatusFlag.PAPER_OUT
        # The next status poll sees it, and a staff member is called to the dispenser with paper.
        help_topic = c.topic("dev", "dispenser-1", "evt", "help")
        called = await c.recorder.wait_for(lambda m: m.topic == help_topic)
        assert HelpPressed.decode(called.payload).note == "取号机缺纸，请更换纸卷"
        again = PrintTicket(**{**json.loads(TICKET.encode()), "msg_id": "print-2"})
        await c.mqtt.publish(c.topic("dev", "dispenser-1", "cmd", "print"), again.encode(), qos=1)
        await c.recorder.wait_for(lambda m: m.topic == ack_topic and b"print-2" in m.payload)
        refused = Ack.decode(c.recorder.on(ack_topic)[-1].payload)
        assert (refused.ok, refused.error) == (False, "paper_out")

    run(broker, tmp_path, scenario)


def test_a_rating_and_a_take_button_become_events(broker: Mosquitto, tmp_path: Path) -> None:
    async def scenario(c: Chain) -> None:
        assert await c.pad.rate(5) is AckResult.OK
        assert await c.panel.take(2) is AckResult.OK
        assert await c.panel.take(9) is AckResult.BUSY  # no service on that button: refused, not sent
        rating = await c.recorder.wait_for(lambda m: m.topic == c.topic("dev", "pad-w2", "evt", "rating"))
        take = await c.recorder.wait_for(lambda m: m.topic == c.topic("dev", "dispenser-1", "evt", "take"))
        given = RatingGiven.decode(rating.payload)
        assert (given.level, given.window) == (RatingLevel.VERY_SATISFIED, "w2")
        assert TakeTicket.decode(take.payload).service == "business-registration"
        takes = {
            TakeTicket.decode(m.payload).msg_id for m in c.recorder.on(c.topic("dev", "dispenser-1", "evt", "take"))
        }
        assert len(takes) == 1

    run(broker, tmp_path, scenario)


def test_the_servers_answer_to_a_press_shows_on_the_keypad(broker: Mosquitto, tmp_path: Path) -> None:
    async def scenario(c: Chain) -> None:
        await c.keypad.press_key(Key.NEXT)
        topic = c.topic("dev", "keypad-w2", "evt", "button")
        pressed = ButtonPressed.decode((await c.recorder.wait_for(lambda m: m.topic == topic)).payload)
        ack = Ack(pressed.msg_id, True, message="已呼叫 A023")
        await c.mqtt.publish(c.topic("dev", "keypad-w2", "ack"), ack.encode(), qos=1)
        await c.keypad.wait_for(lambda k: k.shown is not None and k.shown.text == "已呼叫 A023")
        assert c.keypad.shown is not None and c.keypad.shown.seconds == 5

        await c.keypad.press_key(Key.NEXT)
        await c.recorder.wait_for(lambda m: m.topic == topic and len(distinct(c.recorder.on(topic))) == 2)
        second = distinct(c.recorder.on(topic))[-1]
        refusal = Ack(second.msg_id, False, "no_ticket", "没有等候的号")
        await c.mqtt.publish(c.topic("dev", "keypad-w2", "ack"), refusal.encode(), qos=1)
        await c.keypad.wait_for(lambda k: k.beeps == 2 and k.shown is not None and k.shown.text == "没有等候的号")

    run(broker, tmp_path, scenario)


def test_show_and_beep_commands_are_answered(broker: Mosquitto, tmp_path: Path) -> None:
    async def scenario(c: Chain) -> None:
        show = json.dumps({"msg_id": "s1", "text": "请稍候", "seconds": 3}).encode()
        await c.mqtt.publish(c.topic("dev", "keypad-w2", "cmd", "show"), show, qos=1)
        await c.mqtt.publish(c.topic("dev", "keypad-w2", "cmd", "beep"), b'{"msg_id": "b1", "times": 3}', qos=1)
        await c.mqtt.publish(c.topic("dev", "led-w2", "cmd", "beep"), b'{"msg_id": "b2", "times": 1}', qos=1)
        await c.mqtt.publish(c.topic("dev", "keypad-w2", "cmd", "show"), b'{"msg_id": "s2", "txt": 1}', qos=1)

        def answers() -> dict[str, Ack]:
            acks = (Ack.decode(m.payload) for m in c.recorder.messages if m.topic.endswith("/ack"))
            return {a.msg_id: a for a in acks}

        await c.recorder.wait_for(lambda _: set(answers()) == {"s1", "b1", "b2", "s2"})  # in any order
        got = answers()
        assert got["s1"].ok and got["b1"].ok
        assert (got["b2"].ok, got["b2"].error) == (False, "unsupported")
        assert (got["s2"].ok, got["s2"].error) == (False, "unknown_field")
        assert c.keypad.beeps == 3 and c.keypad.history[-1].text == "请稍候"

    run(broker, tmp_path, scenario)


def test_presence_ready_lost_on_silence_lost_on_serial_loss_and_on_stop(broker: Mosquitto, tmp_path: Path) -> None:
    async def scenario(c: Chain) -> None:
        state = lambda dev: c.topic("dev", dev, "$state")  # noqa: E731
        for dev in ("keypad-w2", "led-w2", "pad-w2", "dispenser-1"):
            meta = json.loads(c.recorder.on(c.topic("dev", dev, "$meta"))[-1].payload)
            assert meta["parent"] == "bridge-1"
        # A client that comes later (the server after a restart) finds every state retained.
        async with aiomqtt.Client("127.0.0.1", broker.port) as late:
            await late.subscribe(c.topic("dev", "+", "$state"), qos=1)
            retained: dict[str, bytes] = {}
            async with asyncio.timeout(5):
                async for m in late.messages:
                    assert m.retain
                    retained[str(m.topic)] = m.payload  # type: ignore[assignment]
                    if len(retained) == 5:
                        break
        assert set(retained.values()) == {b"ready"}
        c.pad.power_off()  # the rating pad falls silent
        await c.recorder.last_on(state("pad-w2"), b"lost")
        c.pad.power_on()
        await c.recorder.last_on(state("pad-w2"), b"ready")
        # It booted and said hello: its firmware version is in its $meta now.
        meta = await c.recorder.wait_for(
            lambda m: m.topic == c.topic("dev", "pad-w2", "$meta") and b'"1.0"' in m.payload
        )
        assert json.loads(meta.payload) == {"kind": "rating_pad", "model": "", "firmware": "1.0", "parent": "bridge-1"}
        c.keypad.close()  # the cable is pulled: the bridge's port goes away
        await c.recorder.last_on(state("keypad-w2"), b"lost")
        c.printer.close()
        await c.recorder.last_on(state("dispenser-1"), b"lost")
        assert c.recorder.on(state("led-w2"))[-1].payload == b"ready"
        c.bridge.stop()
        await c.recorder.last_on(state("bridge-1"), b"lost")
        for dev in ("led-w2", "pad-w2"):
            await c.recorder.last_on(state(dev), b"lost")

    run(broker, tmp_path, scenario)


def test_an_event_the_server_does_not_answer_is_sent_again_until_it_does(broker: Mosquitto, tmp_path: Path) -> None:
    # The broker had it (PUBACK) but no server was subscribed, as while a server reconnects
    # after a broker restart: the same event, the same msg_id, comes again until the ack.
    async def scenario(c: Chain) -> None:
        assert await c.keypad.press_key(Key.NEXT) is AckResult.OK
        topic = c.topic("dev", "keypad-w2", "evt", "button")
        await c.recorder.wait_for(lambda m: m.topic == topic and len(c.recorder.on(topic)) == 2, within=3)
        first, again = (ButtonPressed.decode(m.payload) for m in c.recorder.on(topic))
        assert again == first
        await c.mqtt.publish(
            c.topic("dev", "keypad-w2", "ack"), Ack(first.msg_id, True, message="已呼叫 A023").encode()
        )
        await c.keypad.wait_for(lambda k: k.shown is not None and k.shown.text == "已呼叫 A023")
        sent = len(c.recorder.on(topic))
        await asyncio.sleep(1.5)
        assert len(c.recorder.on(topic)) == sent  # answered: never again

    run(broker, tmp_path, scenario)
