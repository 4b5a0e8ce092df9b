"""Payloads of contract version 1: frozen dataclasses that validate themselves.

Each payload has `encode() -> bytes` and `decode(bytes) -> payload` (a classmethod), and
its constructor checks the values, so a bad payload cannot be built, sent or received. JSON
payloads are UTF-8 objects; presence payloads (`$server`, `$state`) are bare words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self, TypeVar

from . import codec
from .errors import ContractError

MSG_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_TEXT = 200  # characters of any free text (reasons, notes, display text)
MAX_ACK_MESSAGE = 300  # characters of the reason in an ack (a keypad LCD scrolls it)


def _check_msg_id(msg_id: str) -> None:
    if not MSG_ID_PATTERN.fullmatch(msg_id):
        raise ContractError("bad_value", f"msg_id {msg_id!r}: 1-64 letters, digits and '_.:-', unique per device")


def _check_text(what: str, text: str, limit: int = MAX_TEXT) -> None:
    if len(text) > limit:
        raise ContractError("bad_value", f"{what} has {len(text)} characters; at most {limit}")


def _check_count(what: str, value: int | None) -> None:
    if value is not None and value < 0:
        raise ContractError("bad_value", f"{what} must not be negative")


class _Json:
    """encode/decode for the JSON payloads."""

    __slots__ = ()

    def encode(self) -> bytes:
        """The payload as UTF-8 JSON."""
        return codec.dumps(self)

    @classmethod
    def decode(cls, payload: bytes | bytearray | str) -> Self:
        """The payload read from `payload`; ContractError if it does not fit."""
        return codec.loads(cls, payload)

    def to_data(self) -> Any:
        """The payload as JSON-ready data."""
        return codec.to_data(self)


# ---- presence ----------------------------------------------------------------------------


class ServerState(StrEnum):
    """`$server`: `ready` while the server is connected, `disconnected` after an orderly
    stop, `lost` (the last will) when it vanished."""

    READY = "ready"
    DISCONNECTED = "disconnected"
    LOST = "lost"

    @classmethod
    def decode(cls, payload: bytes | bytearray | str) -> ServerState:
        """The word in `payload`; ContractError("bad_value") if it is none of ours."""
        return _word(cls, payload)


class DeviceState(StrEnum):
    """`dev/<dev>/$state`: `init` while starting, `ready`, `lost` (the last will)."""

    INIT = "init"
    READY = "ready"
    LOST = "lost"

    @classmethod
    def decode(cls, payload: bytes | bytearray | str) -> DeviceState:
        """The word in `payload`; ContractError("bad_value") if it is none of ours."""
        return _word(cls, payload)


def presence(state: ServerState | DeviceState) -> bytes:
    """A presence word as the payload of `$server` or `$state`."""
    return state.value.encode()


W = TypeVar("W", bound=StrEnum)


def _word(cls: type[W], payload: bytes | bytearray | str) -> W:
    try:
        text = payload.decode() if isinstance(payload, bytes | bytearray) else payload
        return cls(text.strip())
    except (UnicodeDecodeError, ValueError):
        allowed = ", ".join(m.value for m in cls)
        raise ContractError("bad_value", f"{payload[:40]!r} is not one of {allowed}") from None


class DeviceKind(StrEnum):
    """What a device is. A bridge connects several serial devices and speaks for them."""

    KEYPAD = "keypad"  # 呼叫器
    LED_BAR = "led_bar"  # 窗口屏 / 条屏
    RATING_PAD = "rating_pad"  # 评价器
    DISPENSER = "dispenser"  # 取号机
    SCREEN = "screen"  # 综合屏 / 等候区电视
    HELP_BUTTON = "help_button"  # 呼叫帮办
    BRIDGE = "bridge"  # firmware bridge for serial devices


#: the kinds that belong to one window (their events act for that window only)
WINDOW_KINDS = frozenset({DeviceKind.KEYPAD, DeviceKind.LED_BAR, DeviceKind.RATING_PAD})


@dataclass(frozen=True, slots=True)
class DeviceMeta(_Json):
    """`dev/<dev>/$meta` (retained): what the device is; `parent` names its bridge."""

    kind: DeviceKind
    model: str = ""
    firmware: str = ""
    parent: str | None = None

    def __post_init__(self) -> None:
        _check_text("model", self.model, 64)
        _check_text("firmware", self.firmware, 64)


# ---- device events (device -> server, never retained) ---------------------------------------


class Button(StrEnum):
    """A keypad's buttons (呼叫器). `open` signs a staff member in at the window (工号登录)."""

    OPEN = "open"  # 登录: open the window for `staff`
    CLOSE = "close"  # 退出: close the window
    NEXT = "next"  # 叫号: call the next ticket
    RECALL = "recall"  # 重呼
    NO_SHOW = "no-show"  # 过号
    START = "start"  # 开始办理
    FINISH = "finish"  # 办结
    PAUSE = "pause"  # 暂停
    RESUME = "resume"  # 恢复
    TRANSFER = "transfer"  # 转移 (with to_service and/or to_window)


class Outcome(StrEnum):
    """How a `finish` ends the window's part (the core's Outcome, less `transferred`)."""

    COMPLETED = "completed"
    ACCEPTED = "accepted"
    INCOMPLETE = "incomplete"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ButtonPressed(_Json):
    """`evt/button` from a keypad. `window`, if given, must be the keypad's own window."""

    msg_id: str
    button: Button
    window: str | None = None
    outcome: Outcome | None = None  # finish
    reason: str = ""  # pause, transfer
    to_service: str | None = None  # transfer
    to_window: str | None = None  # transfer
    staff: str | None = None  # open: the staff account's user name

    def __post_init__(self) -> None:
        _check_msg_id(self.msg_id)
        _check_text("reason", self.reason)
        _check_text("staff", self.staff or "", 32)
        if self.button is Button.OPEN and not self.staff:
            raise ContractError("missing_field", "open names the staff member signing in (staff)")
        if self.button is Button.TRANSFER and self.to_service is None and self.to_window is None:
            raise ContractError("missing_field", "a transfer names to_service or to_window")


class Priority(StrEnum):
    """What a dispenser may ask for: the elderly class also follows from an ID card."""

    NORMAL = "normal"
    ELDERLY = "elderly"


@dataclass(frozen=True, slots=True)
class TakeTicket(_Json):
    """`evt/take` from a dispenser: a citizen takes a ticket for `service`."""

    msg_id: str
    service: str
    priority: Priority = Priority.NORMAL
    id_number: str | None = None  # read from the ID card; only its masked form is kept
    phone: str | None = None

    def __post_init__(self) -> None:
        _check_msg_id(self.msg_id)
        _check_text("service", self.service, 64)
        _check_text("id_number", self.id_number or "", 32)
        _check_text("phone", self.phone or "", 32)


class RatingLevel(StrEnum):
    """The five levels of 好差评; the last two count as bad."""

    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意


@dataclass(frozen=True, slots=True)
class RatingGiven(_Json):
    """`evt/rating` from a rating pad: the citizen's rating of the service just ended at
    the pad's window. `window` and `ticket`, if given, must match (the pad may show them)."""

    msg_id: str
    level: RatingLevel
    window: str | None = None
    ticket: str | None = None

    def __post_init__(self) -> None:
        _check_msg_id(self.msg_id)


@dataclass(frozen=True, slots=True)
class HelpPressed(_Json):
    """`evt/help` (呼叫帮办): a citizen asks for a staff member at the device's place."""

    msg_id: str
    note: str = ""

    def __post_init__(self) -> None:
        _check_msg_id(self.msg_id)
        _check_text("note", self.note)


CODE_PATTERN = re.compile(r"[A-Za-z0-9]{4,16}")  # a booking code as printed, scanned or typed
ID_NUMBER_PATTERN = re.compile(r"[0-9]{17}[0-9Xx]")  # fullmatch: "$" would let a final newline in
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_form_ok(number: str) -> bool:
    """Whether `number` has the form of a resident ID number (18 characters, ISO 7064 check
    digit). The server checks it fully (birth date, and whether it has a booking)."""
    if not ID_NUMBER_PATTERN.fullmatch(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


@dataclass(frozen=True, slots=True)
class BookingCheckIn(_Json):
    """`evt/checkin` from a dispenser (预约签到): a citizen with an online booking checks in
    by the booking code (typed or scanned from the booking's QR code) or by the ID number
    (read from the ID card), exactly one of them. On time the server prints a ticket with
    booking priority; late, an ordinary one or a refusal, as the hall's rules say."""

    msg_id: str
    code: str | None = None
    id_number: str | None = None  # only its keyed hash is compared; it is never stored

    def __post_init__(self) -> None:
        _check_msg_id(self.msg_id)
        if (self.code is None) == (self.id_number is None):
            raise ContractError("missing_field", "a check-in gives the booking code or the ID number, one of them")
        if self.code is not None and not CODE_PATTERN.fullmatch(self.code):
            raise ContractError("bad_value", "a booking code has 4-16 letters and digits")
        if self.id_number is not None and not id_number_form_ok(self.id_number):
            raise ContractError("bad_value", "an ID number has 17 digits and a check digit (0-9 or X) that fits them")


DeviceEvent = ButtonPressed | TakeTicket | RatingGiven | HelpPressed | BookingCheckIn

EVENT_PAYLOADS: dict[str, type[DeviceEvent]] = {
    "button": ButtonPressed,
    "take": TakeTicket,
    "rating": RatingGiven,
    "help": HelpPressed,
    "checkin": BookingCheckIn,
}

#: the events each kind of device may send
EVENTS_BY_KIND: dict[DeviceKind, frozenset[str]] = {
    DeviceKind.KEYPAD: frozenset({"button"}),
    DeviceKind.RATING_PAD: frozenset({"rating"}),
    DeviceKind.DISPENSER: frozenset({"take", "help", "checkin"}),
    DeviceKind.HELP_BUTTON: frozenset({"help"}),
    DeviceKind.LED_BAR: frozenset(),
    DeviceKind.SCREEN: frozenset({"help"}),
    DeviceKind.BRIDGE: frozenset(),
}


def decode_event(name: str, payload: bytes | bytearray | str) -> DeviceEvent:
    """The payload of `evt/<name>`; ContractError("unknown_event") for a name not in the contract."""
    cls = EVENT_PAYLOADS.get(name)
    if cls is None:
        raise ContractError("unknown_event", f"no device event {name!r}; expected one of {', '.join(EVENT_PAYLOADS)}")
    return cls.decode(payload)


# ---- commands to devices (server -> device, never retained) ---------------------------------


@dataclass(frozen=True, slots=True)
class PrintTicket(_Json):
    """`cmd/print` to a dispenser: the ticket to print. `msg_id` is the same for a repeated
    answer to the same `evt/take`, so a printer prints each ticket once."""

    msg_id: str
    ticket: str  # the ticket's id, e.g. "20261123-A023"
    number: str  # "A023"
    service: str
    service_name: str
    hall_name: str
    issued_at: str  # ISO 8601 with the hall's offset
    people_ahead: int
    eta_minutes: int | None
    qr_url: str  # follow the queue on a phone (一码办事)

    def __post_init__(self) -> None:
        _check_msg_id(self.msg_id)
        _check_count("people_ahead", self.people_ahead)
        _check_count("eta_minutes", self.eta_minutes)
        _check_text("qr_url", self.qr_url, 512)


@dataclass(frozen=True, slots=True)
class ShowText(_Json):
    """`cmd/show`: a short message for a device's own display (a keypad's LCD, a rating pad)."""

    msg_id: str
    text: str
    seconds: float | None = None  # how long; None until replaced

    def __post_init__(self) -> None:
        _check_msg_id(self.msg_id)
        _check_text("text", self.text)


@dataclass(frozen=True, slots=True)
class Beep(_Json):
    """`cmd/beep`: sound the device's buzzer `times` times."""

    msg_id: str
    times: int = 1

    def __post_init__(self) -> None:
        _check_msg_id(self.msg_id)
        if not 1 <= self.times <= 10:
            raise ContractError("bad_value", "times must be from 1 to 10")


DeviceCommand = PrintTicket | ShowText | Beep

COMMAND_PAYLOADS: dict[str, type[DeviceCommand]] = {"print": PrintTicket, "show": ShowText, "beep": Beep}


def decode_command(name: str, payload: bytes | bytearray | str) -> DeviceCommand:
    """The payload of `cmd/<name>`; ContractError("unknown_command") for a name not in the contract."""
    cls = COMMAND_PAYLOADS.get(name)
    if cls is None:
        raise ContractError("unknown_command", f"no command {name!r}; expected one of {', '.join(COMMAND_PAYLOADS)}")
    return cls.decode(payload)


def command_name(command: DeviceCommand) -> str:
    """The `<name>` of `cmd/<name>` for a command payload."""
    for name, cls in COMMAND_PAYLOADS.items():
        if isinstance(command, cls):
            return name
    raise ContractError("unknown_command", f"{type(command).__name__} is not a command")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Ack(_Json):
    """`dev/<dev>/ack`: the answer to the event or command `msg_id`. With `ok` false,
    `error` is a stable code and `message` says why; with `ok` true, `message` may say
    what happened (a keypad's LCD shows it: "已呼叫 A023")."""

    msg_id: str
    ok: bool
    error: str | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if not self.msg_id or len(self.msg_id) > 64:  # an ack may answer a bad msg_id: any short text
            raise ContractError("bad_value", "msg_id must have 1-64 characters")
        if self.ok == (self.error is not None):
            raise ContractError("bad_value", "an ack has an error code exactly when ok is false")
        _check_text("message", self.message, MAX_ACK_MESSAGE)

    @classmethod
    def refusal(cls, msg_id: str, code: str, message: str) -> Ack:
        """The refusal of `msg_id`. The reason is cut to fit: it may quote what the device sent,
        and an over-long quote must not cost the device its answer."""
        return cls(msg_id, ok=False, error=code, message=codec.shortened(message, MAX_ACK_MESSAGE))
