"""The link layers, host and device, wired back to back in memory: sessions, acks, retries, presence."""

from __future__ import annotations

import pytest

from firmware_bridge.device import CommandReceived, Delivered, DeviceLink
from firmware_bridge.frames import Frame, FrameType
from firmware_bridge.host import (
    CommandResult,
    DeviceAbsent,
    DeviceDown,
    DeviceHello,
    DeviceInput,
    DeviceStatus,
    DeviceUp,
    FrameRejected,
    HostLink,
)
from firmware_bridge.messages import (
    AckResult,
    Beep,
    CheckIn,
    CheckInBy,
    DeviceKind,
    Key,
    KeyPress,
    Rating,
    Show,
    StatusFlag,
)


class Bus:
    """A host and devices on one wire; `lose` drops the next n transmissions of either side."""

    def __init__(self, *devices: DeviceLink) -> None:
        self.host = HostLink([d.address for d in devices], nonce=0x1234)
        self.devices = {d.address: d for d in devices}
        self.host_events: list[object] = []
        self.device_events: list[object] = []
        self.lose = 0
        self.now = 0.0

    def pump(self, until: float | None = None, step: float = 0.05) -> None:
        """Run both sides' timers and traffic until `until` (or just settle the wire)."""
        end = self.now if until is None else until
        while True:
            self.host_events += self.host.tick(self.now)
            for device in self.devices.values():
                self.device_events += device.tick(self.now)
            self._settle()
            if self.now >= end:
                return
            self.now = min(self.now + step, end)

    def _settle(self) -> None:
        for _ in range(20):
            moved = False
            out = self.host.data_to_send()
            if out:
                moved = True
                if not self._lost():
                    for device in self.devices.values():
                        self.device_events += device.receive(out, self.now)
            for device in self.devices.values():
                data = device.data_to_send()
                if data:
                    moved = True
                    if not self._lost():
                        events = self.host.receive(data, self.now)
                        self.host_events += events
                        for e in events:
                            if isinstance(e, DeviceInput):
                                self.host.confirm(e, ok=True)
            if not moved:
                return

    def _lost(self) -> bool:
        if self.lose:
            self.lose -= 1
            return True
        return False

    def of(self, kind: type) -> list:
        return [e for e in self.host_events + self.device_events if isinstance(e, kind)]


def keypad(**kw: object) -> DeviceLink:
    return DeviceLink(1, DeviceKind.KEYPAD, nonce=0xBEEF, **kw)  # type: ignore[arg-type]


def test_a_device_comes_up_and_its_press_arrives_once() -> None:
    bus = Bus(keypad())
    bus.pump(0.5)
    assert bus.of(DeviceUp) == [DeviceUp(1, DeviceKind.KEYPAD)]
    assert bus.of(DeviceHello) == [DeviceHello(1, DeviceKind.KEYPAD, "1.0")]
    bus.devices[1].press(KeyPress(Key.NEXT), bus.now)
    bus.pump()
    assert [e.message for e in bus.of(DeviceInput)] == [KeyPress(Key.NEXT)]
    assert [d.result for d in bus.of(Delivered) if isinstance(d.message, KeyPress)] == [AckResult.OK]


def test_a_lost_ack_makes_the_device_repeat_and_the_host_count_it_once() -> None:
    bus = Bus(keypad())
    bus.pump(0.5)
    bus.devices[1].press(KeyPress(Key.RECALL), bus.now)
    bus.host_events.clear()
    out = bus.devices[1].data_to_send()
    events = bus.host.receive(out, bus.now)  # the host hears the press ...
    (press,) = events
    bus.host.confirm(press, ok=True)
    bus.host.data_to_send()  # ... but its ACK is lost on the wire
    bus.pump(1.0)  # the keypad repeats; the host acknowledges again without a second event
    assert bus.of(DeviceInput) == []
    assert [d.result for d in bus.of(Delivered) if isinstance(d.message, KeyPress)] == [AckResult.OK]


def test_a_press_is_acknowledged_only_when_confirmed_and_a_refusal_is_final() -> None:
    bus = Bus(keypad())
    bus.pump(0.5)
    device = bus.devices[1]
    device.press(KeyPress(Key.NEXT), bus.now)
    (press,) = bus.host.receive(device.data_to_send(), bus.now)
    assert bus.host.data_to_send() == b""  # nothing until the broker has it
    device.tick(bus.now + 0.3)
    assert bus.host.receive(device.data_to_send(), bus.now + 0.3) == []  # the repeat waits too
    assert bus.host.data_to_send() == b""
    bus.host.confirm(press, ok=False)  # the broker was away
    results = device.receive(bus.host.data_to_send(), bus.now + 0.4)
    assert [r.result for r in results if isinstance(r, Delivered)] == [AckResult.BUSY]
    assert device.waiting == 0


def test_a_press_refused_while_the_port_was_reopened_is_refused_to_its_repeat() -> None:
    # The USB adapter drops out for a moment while the bridge waits for the broker; the broker
    # was away after all. The keypad's repeat, once the port is back, hears the refusal.
    bus = Bus(keypad())
    bus.pump(0.5)
    device = bus.devices[1]
    device.press(KeyPress(Key.NEXT), bus.now)
    (press,) = bus.host.receive(device.data_to_send(), bus.now)
    bus.host.port_lost(bus.now + 0.1)
    bus.host.confirm(press, ok=False)  # written to a closed port: lost
    bus.host.data_to_send()
    device.tick(bus.now + 0.25)  # the keypad heard nothing: it repeats the press
    heard = bus.host.receive(device.data_to_send(), bus.now + 0.3)
    assert not [e for e in heard if isinstance(e, DeviceInput)]  # not a second press
    results = device.receive(bus.host.data_to_send(), bus.now + 0.3)
    assert [r.result for r in results if isinstance(r, Delivered)] == [AckResult.BUSY]


def test_commands_reach_the_device_once_even_when_frames_are_lost() -> None:
    led = DeviceLink(2, DeviceKind.LED_BAR, nonce=7)
    bus = Bus(led)
    bus.pump(0.5)
    token = bus.host.send(2, Show("请 A023 号", blink=True), bus.now)
    bus.lose = 1  # the SHOW itself is lost
    bus.pump(bus.now + 1)
    token2 = bus.host.send(2, Show("请 A024 号"), bus.now)
    bus.pump()
    bus.lose = 1  # the device's ACK is lost: the host repeats, the device shows it only once
    bus.pump(bus.now + 1)
    shown = [e.message for e in bus.of(CommandReceived)]
    assert shown == [Show("请 A023 号", blink=True), Show("请 A024 号")]
    results = {e.token: e.result for e in bus.of(CommandResult)}
    assert results == {token: AckResult.OK, token2: AckResult.OK}


def test_a_command_the_device_cannot_do_is_answered_unsupported() -> None:
    bus = Bus(DeviceLink(2, DeviceKind.LED_BAR, nonce=7))
    bus.pump(0.5)
    token = bus.host.send(2, Beep(2), bus.now)
    bus.pump()
    assert bus.of(CommandResult) == [CommandResult(2, token, AckResult.UNSUPPORTED)]


def test_a_silent_device_goes_down_its_commands_fail_and_it_comes_back() -> None:
    bus = Bus(DeviceLink(2, DeviceKind.LED_BAR, nonce=7), keypad())
    bus.pump(0.5)
    led = bus.devices.pop(2)  # unplugged
    token = bus.host.send(2, Show("x"), bus.now)
    bus.pump(bus.now + 4)
    assert bus.of(DeviceDown) == [DeviceDown(2)]
    assert CommandResult(2, token, None) in bus.of(CommandResult)
    with pytest.raises(DeviceAbsent):
        bus.host.send(2, Show("y"), bus.now)
    assert bus.host.present(1)  # the keypad on the same bus is fine
    bus.devices[2] = led
    bus.pump(bus.now + 2)
    assert bus.of(DeviceUp)[-1] == DeviceUp(2, DeviceKind.LED_BAR)


def test_a_bus_with_no_devices_configured_waits_a_poll_interval_between_ticks() -> None:
    # A spare line in bridge.toml: its port task must sleep, not spin a CPU core on a past deadline.
    host = HostLink([], nonce=1, now=0.0, poll_interval=1.0)
    assert host.tick(60.0) == [] and host.data_to_send() == b""
    assert host.next_deadline() == 61.0


def test_a_device_never_heard_is_reported_down_once() -> None:
    bus = Bus(keypad())
    bus.devices.clear()
    bus.pump(10)
    assert bus.of(DeviceDown) == [DeviceDown(1)]


def test_a_rebooted_device_counting_from_zero_again_is_heard() -> None:
    bus = Bus(keypad(first_seq=0))
    bus.pump(0.5)
    for _ in range(3):
        bus.devices[1].press(KeyPress(Key.NEXT), bus.now)
        bus.pump(bus.now + 0.1)
    bus.devices[1] = DeviceLink(1, DeviceKind.KEYPAD, nonce=0xCAFE, now=bus.now, first_seq=0)  # reboot
    bus.pump(bus.now + 0.5)
    bus.devices[1].press(KeyPress(Key.FINISH), bus.now)
    bus.pump(bus.now + 0.5)
    assert [e.message.key for e in bus.of(DeviceInput)] == [Key.NEXT] * 3 + [Key.FINISH]


def test_a_press_awaiting_the_broker_when_its_keypad_reboots_is_not_answered_to_the_new_press() -> None:
    # The keypad reboots while the bridge waits for the broker, then counts from 0 again: its
    # next press has the number of the one before the reboot. That answer belongs to no frame now.
    bus = Bus(keypad(first_seq=0))
    bus.pump(0.5)
    bus.devices[1].press(KeyPress(Key.NEXT), bus.now)
    (before,) = bus.host.receive(bus.devices[1].data_to_send(), bus.now)
    rebooted = bus.devices[1] = DeviceLink(1, DeviceKind.KEYPAD, nonce=0xCAFE, now=bus.now, first_seq=0)
    bus.pump(bus.now + 0.1)  # its HELLO
    rebooted.press(KeyPress(Key.FINISH), bus.now)
    (after,) = bus.host.receive(rebooted.data_to_send(), bus.now)
    assert (after.message, after.seq) == (KeyPress(Key.FINISH), before.seq)
    bus.host.confirm(before, ok=True)  # the broker took the press before the reboot
    assert bus.host.data_to_send() == b""  # ... which is no answer to the new one
    bus.host.confirm(after, ok=False)  # the new one was refused
    results = rebooted.receive(bus.host.data_to_send(), bus.now)
    assert [r.result for r in results if isinstance(r, Delivered)] == [AckResult.BUSY]


def test_a_restarted_bridge_is_heard_by_a_device_that_stayed_up() -> None:
    led = DeviceLink(2, DeviceKind.LED_BAR, nonce=7)
    bus = Bus(led)
    bus.pump(0.5)
    for text in ("a", "b", "c"):
        bus.host.send(2, Show(text), bus.now)
        bus.pump(bus.now + 0.1)
    bus.host = HostLink([2], nonce=0x9999, now=bus.now)  # the bridge restarts; its numbers start at 0
    bus.pump(bus.now + 1.5)
    bus.host.send(2, Show("after restart"), bus.now)
    bus.pump(bus.now + 0.5)
    assert [e.message.text for e in bus.of(CommandReceived)] == ["a", "b", "c", "after restart"]


def test_status_flags_and_nonsense_frames_are_reported() -> None:
    pad = DeviceLink(4, DeviceKind.DISPENSER, nonce=1)
    bus = Bus(pad)
    bus.pump(0.5)
    pad.flags = StatusFlag.PAPER_LOW
    bus.pump(bus.now + 1.5)
    assert bus.of(DeviceStatus) == [DeviceStatus(4, StatusFlag.PAPER_LOW)]
    bad = Frame(4, FrameType.RATING, 200, b"\x09")  # a rating of 9: a firmware bug
    events = bus.host.receive(bad.encode(), bus.now)
    assert events == [FrameRejected(4, "bad_payload", "RATING payload is one level 1 to 5")]
    nak = bus.host.data_to_send()
    assert nak == Frame(4, FrameType.ACK, 200, bytes((FrameType.RATING, AckResult.BAD_PAYLOAD))).encode()


def test_frames_for_other_addresses_and_broadcasts() -> None:
    host = HostLink([1], nonce=1)
    assert host.receive(Frame(9, FrameType.KEY, 1, b"\x01").encode(), 0) == []  # nobody configured there
    assert host.ignored_frames == 1
    device = keypad()
    device.data_to_send()
    assert device.receive(Frame(2, FrameType.POLL, 1).encode(), 0) == []  # not for us: silence
    assert device.data_to_send() == b""
    beep = Frame(0, FrameType.BEEP, 1, b"\x01").encode()  # broadcast: acted on, never answered
    assert device.receive(beep, 0) == [CommandReceived(Beep(1))]
    assert device.data_to_send() == b""


def test_rating_press_round_trip() -> None:
    bus = Bus(DeviceLink(3, DeviceKind.RATING_PAD, nonce=3))
    bus.pump(0.5)
    bus.devices[3].press(Rating(1), bus.now)
    bus.pump()
    assert [e.message for e in bus.of(DeviceInput)] == [Rating(1)]


def test_a_check_in_crosses_the_bus_once_even_when_its_ack_is_lost() -> None:
    bus = Bus(DeviceLink(4, DeviceKind.DISPENSER, nonce=4))
    bus.pump(0.5)
    scanned = CheckIn(CheckInBy.CODE, "K7M2Q9XA")
    bus.devices[4].press(scanned, bus.now)
    bus.pump()
    read = CheckIn(CheckInBy.ID_NUMBER, "11010519491231002X")
    bus.devices[4].press(read, bus.now)
    for e in bus.host.receive(bus.devices[4].data_to_send(), bus.now):
        bus.host_events.append(e)
        if isinstance(e, DeviceInput):
            bus.host.confirm(e, ok=True)
    assert bus.host.data_to_send()  # the host's ACK, lost on the wire: the device repeats after 200 ms
    bus.pump(bus.now + 1)
    assert [e.message for e in bus.of(DeviceInput)] == [scanned, read]
    # and it can show the answer on its panel's display
    token = bus.host.send(4, Show("签到成功 A001"), bus.now)
    bus.pump(bus.now + 0.5)
    assert CommandResult(4, token, AckResult.OK) in bus.of(CommandResult)
