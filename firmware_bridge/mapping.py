"""Between the serial world and the MQTT contract: frames' messages to contract payloads and back. No I/O."""

from __future__ import annotations

from datetime import datetime

from firmware_bridge import messages as wire
from firmware_bridge.config import DeviceConfig
from firmware_bridge.ticket import TicketPrint
from qms.contract import (
    Beep,
    BookingCheckIn,
    Button,
    ButtonPressed,
    ContractError,
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
from qms.contract import DeviceEvent as ContractEvent

BUTTONS: dict[wire.Key, Button] = {
    wire.Key.NEXT: Button.NEXT,
    wire.Key.RECALL: Button.RECALL,
    wire.Key.NO_SHOW: Button.NO_SHOW,
    wire.Key.PAUSE: Button.PAUSE,
    wire.Key.RESUME: Button.RESUME,
    wire.Key.START: Button.START,
    wire.Key.FINISH: Button.FINISH,
    wire.Key.TRANSFER: Button.TRANSFER,
    wire.Key.OPEN: Button.OPEN,
    wire.Key.CLOSE: Button.CLOSE,
}
RATINGS: dict[int, RatingLevel] = {
    5: RatingLevel.VERY_SATISFIED,
    4: RatingLevel.SATISFIED,
    3: RatingLevel.BASICALLY_SATISFIED,
    2: RatingLevel.DISSATISFIED,
    1: RatingLevel.VERY_DISSATISFIED,
}
#: The device kind of the MQTT contract for each kind a device reports on the bus.
KINDS: dict[wire.DeviceKind, DeviceKind] = {
    wire.DeviceKind.KEYPAD: DeviceKind.KEYPAD,
    wire.DeviceKind.LED_BAR: DeviceKind.LED_BAR,
    wire.DeviceKind.RATING_PAD: DeviceKind.RATING_PAD,
    wire.DeviceKind.DISPENSER: DeviceKind.DISPENSER,
    wire.DeviceKind.HELP_BUTTON: DeviceKind.HELP_BUTTON,
}
MAX_SHOW_SECONDS = 255


class Refused(Exception):
    """A device input or a command the bridge will not pass on; `code` is stable (logs, acks)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def device_event(
    device: DeviceConfig, message: wire.DeviceEvent, msg_id: str, transfer_window: str
) -> tuple[str, ContractEvent]:
    """The contract's `evt/<name>` and payload for what a person did at `device`. Raises Refused."""
    match device.kind, message:
        case DeviceKind.KEYPAD, wire.KeyPress(key, argument):
            to_window = transfer_window.format(argument.lower()) if key is wire.Key.TRANSFER else None
            staff = argument.lower() if key is wire.Key.OPEN else None
            pressed = ButtonPressed(msg_id, BUTTONS[key], window=device.window, to_window=to_window, staff=staff)
            return "button", pressed
        case DeviceKind.RATING_PAD, wire.Rating(level):
            return "rating", RatingGiven(msg_id, RATINGS[level], window=device.window)
        case DeviceKind.DISPENSER, wire.Take(button):
            if not 1 <= button <= len(device.buttons):
                raise Refused("unknown_button", f"{device.id} has no service on button {button}")
            return "take", TakeTicket(msg_id, device.buttons[button - 1])
        case DeviceKind.DISPENSER | DeviceKind.HELP_BUTTON, wire.Help():
            return "help", HelpPressed(msg_id)
        case DeviceKind.DISPENSER, wire.CheckIn(by, value):
            try:
                if by is wire.CheckInBy.CODE:
                    return "checkin", BookingCheckIn(msg_id, code=value.upper())
                return "checkin", BookingCheckIn(msg_id, id_number=value.upper())
            except ContractError as error:  # the codec checks the same form: only a bug gets here
                raise Refused(error.code, error.message) from None
    raise Refused("wrong_kind", f"a {device.kind.value} does not send {type(message).__name__}")


def bus_command(device: DeviceConfig, command: ShowText | Beep) -> wire.Show | wire.Beep:
    """The frame message for a `cmd/show` or `cmd/beep`. Raises Refused."""
    if isinstance(command, Beep):
        if device.kind is DeviceKind.LED_BAR:
            raise Refused("unsupported", "an LED bar has no buzzer")
        return wire.Beep(command.times)
    if device.kind not in (DeviceKind.KEYPAD, DeviceKind.LED_BAR, DeviceKind.RATING_PAD, DeviceKind.DISPENSER):
        raise Refused("unsupported", f"a {device.kind.value} has no display")
    seconds = 0 if command.seconds is None else max(1, min(round(command.seconds), MAX_SHOW_SECONDS))
    return show(command.text, seconds=seconds)


def display_show(display: WindowDisplay) -> wire.Show:
    """What a window's LED bar shows for the window's display state; a new call blinks."""
    return show(display.text, blink=display.state is DisplayState.CALLING)


def show(text: str, *, blink: bool = False, seconds: int = 0) -> wire.Show:
    """A SHOW whose text fits a frame: GB18030 text is cut at a character, never mid-character."""
    while len(text.encode(wire.TEXT_ENCODING)) > wire.MAX_TEXT_BYTES:
        text = text[:-1]
    return wire.Show(text, blink, seconds)


def ticket_print(command: PrintTicket) -> TicketPrint:
    """The printed ticket for a `cmd/print`. Raises Refused for a time that is not ISO 8601 with an offset."""
    try:
        issued_at = datetime.fromisoformat(command.issued_at)
    except ValueError:
        raise Refused("bad_value", f"issued_at {command.issued_at!r} is not ISO 8601") from None
    if issued_at.tzinfo is None:
        raise Refused("bad_value", "issued_at has no UTC offset")
    try:
        return TicketPrint(
            hall_name=command.hall_name,
            number=command.number,
            service=command.service_name or command.service,
            people_ahead=command.people_ahead,
            wait_minutes=command.eta_minutes,
            issued_at=issued_at,
            status_url=command.qr_url,
        )
    except ValueError as error:
        raise Refused("bad_value", str(error)) from None
