"""From the serial world to the MQTT contract and back."""

from __future__ import annotations

import pytest

from firmware_bridge import messages as wire
from firmware_bridge.config import DeviceConfig
from firmware_bridge.mapping import Refused, bus_command, device_event, display_show, show, ticket_print
from qms.contract import (
    Beep,
    BookingCheckIn,
    Button,
    ButtonPressed,
    DeviceKind,
    DisplayState,
    HelpPressed,
    PrintTicket,
    RatingGiven,
    RatingLevel,
    ShowText,
    TakeTicket,
    WindowDisplay,
)

KEYPAD = DeviceConfig("keypad-w5", DeviceKind.KEYPAD, "bus", 1, "w5")
PAD = DeviceConfig("pad-w5", DeviceKind.RATING_PAD, "bus", 3, "w5")
LED = DeviceConfig("led-w5", DeviceKind.LED_BAR, "bus", 2, "w5")
DISPENSER = DeviceConfig("dispenser-1", DeviceKind.DISPENSER, "bus", 9, printer="p", buttons=("pension", "tax"))


@pytest.mark.parametrize("key", list(wire.Key))
def test_every_key_is_a_contract_button(key: wire.Key) -> None:
    argument = {wire.Key.TRANSFER: "12", wire.Key.OPEN: "1024"}.get(key, "")
    name, event = device_event(KEYPAD, wire.KeyPress(key, argument), "m-1", "w{}")
    assert name == "button" and isinstance(event, ButtonPressed)
    assert event.button is Button(key.name.lower().replace("_", "-")) and event.window == "w5"
    assert event.to_window == ("w12" if key is wire.Key.TRANSFER else None)
    assert event.staff == ("1024" if key is wire.Key.OPEN else None)
    assert ButtonPressed.decode(event.encode()) == event


def test_ratings_take_and_help() -> None:
    levels = [device_event(PAD, wire.Rating(n), f"m{n}", "w{}")[1] for n in (5, 4, 3, 2, 1)]
    assert [e.level for e in levels if isinstance(e, RatingGiven)] == list(RatingLevel)
    assert device_event(DISPENSER, wire.Take(2), "m", "w{}") == ("take", TakeTicket("m", "tax"))
    assert device_event(DISPENSER, wire.Help(), "m", "w{}") == ("help", HelpPressed("m"))
    with pytest.raises(Refused, match="unknown_button"):
        device_event(DISPENSER, wire.Take(3), "m", "w{}")
    with pytest.raises(Refused, match="wrong_kind"):
        device_event(KEYPAD, wire.Rating(5), "m", "w{}")  # a device at the wrong address, or a bad config
    with pytest.raises(Refused, match="wrong_kind"):
        device_event(PAD, wire.Help(), "m", "w{}")


def test_a_check_in_at_the_dispenser() -> None:
    by_code = device_event(DISPENSER, wire.CheckIn(wire.CheckInBy.CODE, "k7m2q9xa"), "m", "w{}")
    assert by_code == ("checkin", BookingCheckIn("m", code="K7M2Q9XA"))
    by_id = device_event(DISPENSER, wire.CheckIn(wire.CheckInBy.ID_NUMBER, "11010519491231002x"), "m", "w{}")
    assert by_id == ("checkin", BookingCheckIn("m", id_number="11010519491231002X"))
    with pytest.raises(Refused, match="wrong_kind"):
        device_event(KEYPAD, wire.CheckIn(wire.CheckInBy.CODE, "K7M2Q9XA"), "m", "w{}")


def test_commands_for_the_bus() -> None:
    assert bus_command(KEYPAD, ShowText("s", "已呼叫 A023", seconds=4.6)) == wire.Show("已呼叫 A023", seconds=5)
    assert bus_command(PAD, ShowText("s", "请评价", seconds=1000)) == wire.Show("请评价", seconds=255)
    assert bus_command(KEYPAD, Beep("b", 3)) == wire.Beep(3)
    with pytest.raises(Refused, match="unsupported"):
        bus_command(LED, Beep("b"))
    # a dispenser's panel shows the answer to a check-in (a panel without a display answers unsupported)
    assert bus_command(DISPENSER, ShowText("s", "预约已过期，请取普通号")) == wire.Show("预约已过期，请取普通号")
    with pytest.raises(Refused, match="unsupported"):
        bus_command(DeviceConfig("help-1", DeviceKind.HELP_BUTTON, "bus", 8), ShowText("s", "x"))


def test_display_text_blinks_for_a_call_and_long_text_is_cut_at_a_character() -> None:
    calling = WindowDisplay(1, "A023", "请 A023 号到 5 号窗口", DisplayState.CALLING)
    assert display_show(calling) == wire.Show("请 A023 号到 5 号窗口", blink=True)
    assert not display_show(WindowDisplay(2, None, "暂停服务", DisplayState.PAUSED)).blink
    cut = show("号" * 200)
    assert len(cut.text.encode("gb18030")) <= wire.MAX_TEXT_BYTES and set(cut.text) == {"号"}
    wire.encode(cut)


def test_a_print_command_becomes_a_ticket() -> None:
    command = PrintTicket(
        "p", "t", "A023", "pension", "养老保险", "清远", "2026-11-22T09:31:00+08:00", 3, None, "https://x/t"
    )
    ticket = ticket_print(command)
    assert (ticket.number, ticket.service, ticket.wait_minutes, ticket.issued_at.utcoffset().seconds) == (
        "A023",
        "养老保险",
        None,
        8 * 3600,
    )
    for issued_at in ("yesterday", "2026-11-22T09:31:00"):
        with pytest.raises(Refused, match="bad_value"):
            ticket_print(PrintTicket("p", "t", "A023", "s", "n", "h", issued_at, 0, 0, "https://x"))
    with pytest.raises(Refused, match="bad_value"):
        ticket_print(PrintTicket("p", "t", "A023", "s", "n", "h", "2026-11-22T09:31:00+08:00", 0, 0, "https://例子"))
