"""What the frames mean: one small value per frame type, with its payload layout. No I/O.

`decode(frame)` turns a frame whose CRC was right into a message, or raises `PayloadError` with a
stable code when the payload does not fit its type (a device with a firmware bug, or a newer
firmware that knows a type we do not). `encode(message)` gives the type and payload for a frame.
Text is GB18030, the encoding of Chinese LED controllers and thermal printers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from firmware_bridge.frames import MAX_PAYLOAD, Frame, FrameType
from qms.contract import id_number_form_ok
from qms.contract.payloads import CODE_PATTERN

PROTOCOL_VERSION = 1
TEXT_ENCODING = "gb18030"
MAX_TEXT_BYTES = MAX_PAYLOAD - 2  # SHOW: flags and seconds, then the text
MAX_ARGUMENT = 16  # a ticket number such as "A023" or a window number: short ASCII
MAX_TAKE_BUTTON = 64
MAX_BEEPS = 10
_ARGUMENT = re.compile(r"[A-Za-z0-9-]*")
_ARGUMENT_RULE = "TRANSFER needs the typed window number, OPEN the staff number, the other keys no argument"


class PayloadError(ValueError):
    """A frame with a right CRC whose payload does not fit its type."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class DeviceKind(IntEnum):
    """What stands at an address. `HOST` is the bridge itself, in its own HELLO."""

    HOST = 0
    KEYPAD = 1  # 呼叫器
    LED_BAR = 2  # 窗口屏
    RATING_PAD = 3  # 评价器
    DISPENSER = 4  # 取号机 (its buttons and paper sensor; the printer has its own ESC/POS port)
    HELP_BUTTON = 5  # 呼叫帮办


class Key(IntEnum):
    """A keypad's buttons; one for each button of the MQTT contract (`qms.contract.Button`)."""

    NEXT = 1  # 呼叫: call the next ticket
    RECALL = 2  # 重呼
    NO_SHOW = 3  # 过号
    PAUSE = 4  # 暂停
    RESUME = 5  # 恢复
    START = 6  # 开始办理
    FINISH = 7  # 办结
    TRANSFER = 8  # 转移: to the window whose number was typed on the keypad's digits (argument "12")
    OPEN = 9  # 登录: a staff member signs in with the 工号 typed on the keypad (argument "1024"), opening the window
    CLOSE = 10  # 退出: close the window


#: Keys that need an argument typed on the keypad's digits.
KEYS_WITH_ARGUMENT = frozenset({Key.TRANSFER, Key.OPEN})


class StatusFlag(IntFlag):
    """Faults a device reports in STATUS."""

    NONE = 0
    PAPER_LOW = 0x01  # 纸将尽
    PAPER_OUT = 0x02  # 缺纸
    FAULT = 0x04  # any hardware fault the device can detect (stuck key, LED module)


class AckResult(IntEnum):
    """The result an ACK carries. Non-zero results are final: the sender does not retry."""

    OK = 0
    BAD_PAYLOAD = 1  # the payload did not fit the type
    UNSUPPORTED = 2  # this device does not do that (a keypad asked to SHOW)
    BUSY = 3  # cannot now (printer out of paper)


@dataclass(frozen=True, slots=True)
class Hello:
    """A new session: device boot or host start. `nonce` tells a new session from a replayed HELLO."""

    kind: DeviceKind
    nonce: int
    firmware: str = "1.0"  # "major.minor"
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Poll:
    """The host's heartbeat to one address."""


@dataclass(frozen=True, slots=True)
class Status:
    """A device's answer to POLL."""

    kind: DeviceKind
    flags: StatusFlag = StatusFlag.NONE


@dataclass(frozen=True, slots=True)
class Ack:
    """An originated frame arrived; `acked` is its type, the frame's seq is its seq."""

    acked: int
    result: AckResult = AckResult.OK


@dataclass(frozen=True, slots=True)
class KeyPress:
    """A keypad button; `argument` is what was typed before it (ticket or window number), if any."""

    key: Key
    argument: str = ""


@dataclass(frozen=True, slots=True)
class Rating:
    """A rating: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意 (the last two count as bad)."""

    level: int


@dataclass(frozen=True, slots=True)
class Take:
    """A dispenser's service button, numbered from 1 as printed on the panel."""

    button: int


class CheckInBy(IntEnum):
    """How a dispenser read a booking check-in."""

    CODE = 1  # the booking code: scanned from the booking's QR code or typed on the keys
    ID_NUMBER = 2  # the resident ID number, read from the ID card (身份证阅读器)


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A booking check-in at a dispenser (预约签到): a booking code of 4..16 letters and digits,
    or an 18-character ID number whose check digit fits (its last character 0-9 or X)."""

    by: CheckInBy
    value: str


@dataclass(frozen=True, slots=True)
class Help:
    """The call-for-help button (呼叫帮办)."""


@dataclass(frozen=True, slots=True)
class Show:
    """Text for an LED bar, a keypad's or a rating pad's display; empty text clears it.

    `seconds` (0: until replaced) lets a keypad show "已呼叫 A023" for a while and go back to its
    idle text by itself; `blink` draws the eye to a new call on an LED bar.
    """

    text: str
    blink: bool = False
    seconds: int = 0


@dataclass(frozen=True, slots=True)
class Beep:
    """Sound the buzzer `count` times."""

    count: int = 1


Message = Hello | Poll | Status | Ack | KeyPress | Rating | Take | Help | CheckIn | Show | Beep
#: Messages a device originates (acknowledged, retransmitted, de-duplicated).
DeviceEvent = KeyPress | Rating | Take | Help | CheckIn
#: Messages the host originates.
HostCommand = Show | Beep


def encode(message: Message) -> tuple[FrameType, bytes]:
    """The frame type and payload of a message. Raises ValueError for a value that cannot be sent."""
    match message:
        case Hello(kind, nonce, firmware, version):
            major, minor = _firmware(firmware)
            _check(0 <= nonce <= 0xFFFF, "nonce is not 16 bits")
            return FrameType.HELLO, bytes((kind, version, major, minor, nonce & 0xFF, nonce >> 8))
        case Poll():
            return FrameType.POLL, b""
        case Status(kind, flags):
            return FrameType.STATUS, bytes((kind, flags))
        case Ack(acked, result):
            return FrameType.ACK, bytes((acked, result))
        case KeyPress(key, argument):
            _check(len(argument) <= MAX_ARGUMENT and _ARGUMENT.fullmatch(argument) is not None, "bad key argument")
            _check(
                bool(argument) == (key in KEYS_WITH_ARGUMENT),
                f"key {key.name}: {_ARGUMENT_RULE}",
            )
            return FrameType.KEY, bytes((key,)) + argument.encode("ascii")
        case Rating(level):
            _check(1 <= level <= 5, "rating level is 1 to 5")
            return FrameType.RATING, bytes((level,))
        case Take(button):
            _check(1 <= button <= MAX_TAKE_BUTTON, f"take button is 1 to {MAX_TAKE_BUTTON}")
            return FrameType.TAKE, bytes((button,))
        case Help():
            return FrameType.HELP, b""
        case CheckIn(by, value):
            _check(_check_in_fits(by, value), f"not a booking check-in by {CheckInBy(by).name}: {value!r}")
            return FrameType.CHECKIN, bytes((by,)) + value.encode("ascii")
        case Show(text, blink, seconds):
            data = text.encode(TEXT_ENCODING)
            _check(len(data) <= MAX_TEXT_BYTES, f"text is {len(data)} bytes in GB18030, over {MAX_TEXT_BYTES}")
            _check(0 <= seconds <= 255, "seconds is 0 to 255")
            return FrameType.SHOW, bytes((1 if blink else 0, seconds)) + data
        case Beep(count):
            _check(1 <= count <= MAX_BEEPS, f"beep count is 1 to {MAX_BEEPS}")
            return FrameType.BEEP, bytes((count,))
    raise TypeError(f"not a message: {message!r}")


def decode(frame: Frame) -> Message:
    """The message in a frame. Raises PayloadError (code `unknown_type` or `bad_payload`)."""
    p = frame.payload
    try:
        kind = FrameType(frame.type)
    except ValueError:
        raise PayloadError("unknown_type", f"frame type 0x{frame.type:02x} is not known") from None
    match kind:
        case FrameType.HELLO:
            _need(len(p) == 6, "HELLO payload is 6 bytes")
            return Hello(_kind(p[0]), p[4] | p[5] << 8, f"{p[2]}.{p[3]}", p[1])
        case FrameType.POLL:
            _need(not p, "POLL has no payload")
            return Poll()
        case FrameType.STATUS:
            _need(len(p) == 2, "STATUS payload is 2 bytes")
            _need(p[1] & ~0x07 == 0, "unknown STATUS flags")
            return Status(_kind(p[0]), StatusFlag(p[1]))
        case FrameType.ACK:
            _need(len(p) == 2, "ACK payload is 2 bytes")
            _need(p[1] in AckResult._value2member_map_, f"unknown ACK result {p[1]}")
            return Ack(p[0], AckResult(p[1]))
        case FrameType.KEY:
            _need(1 <= len(p) <= 1 + MAX_ARGUMENT, "KEY payload is a key and a short argument")
            _need(p[0] in Key._value2member_map_, f"unknown key {p[0]}")
            argument = p[1:].decode("ascii", errors="replace")
            _need(_ARGUMENT.fullmatch(argument) is not None, "KEY argument is letters, digits and '-'")
            _need(bool(argument) == (p[0] in KEYS_WITH_ARGUMENT), f"key {Key(p[0]).name}: {_ARGUMENT_RULE}")
            return KeyPress(Key(p[0]), argument)
        case FrameType.RATING:
            _need(len(p) == 1 and 1 <= p[0] <= 5, "RATING payload is one level 1 to 5")
            return Rating(p[0])
        case FrameType.TAKE:
            _need(len(p) == 1 and 1 <= p[0] <= MAX_TAKE_BUTTON, f"TAKE payload is one button 1 to {MAX_TAKE_BUTTON}")
            return Take(p[0])
        case FrameType.HELP:
            _need(not p, "HELP has no payload")
            return Help()
        case FrameType.CHECKIN:
            _need(len(p) >= 2 and p[0] in CheckInBy._value2member_map_, "CHECKIN payload is a method and the text")
            value = p[1:].decode("ascii", errors="replace")
            _need(
                _check_in_fits(CheckInBy(p[0]), value),
                "CHECKIN: a booking code, or an ID number that fits its check digit",
            )
            return CheckIn(CheckInBy(p[0]), value)
        case FrameType.SHOW:
            _need(len(p) >= 2 and p[0] & ~0x01 == 0, "SHOW payload is a flags byte, seconds and text")
            try:
                text = p[2:].decode(TEXT_ENCODING)
            except UnicodeDecodeError:
                raise PayloadError("bad_payload", "SHOW text is not GB18030") from None
            return Show(text, bool(p[0] & 0x01), p[1])
        case FrameType.BEEP:
            _need(len(p) == 1 and 1 <= p[0] <= MAX_BEEPS, f"BEEP payload is one count 1 to {MAX_BEEPS}")
            return Beep(p[0])
    raise PayloadError("unknown_type", f"frame type 0x{frame.type:02x} is not known")  # pragma: no cover


def _check_in_fits(by: CheckInBy, value: str) -> bool:
    if by is CheckInBy.CODE:
        return CODE_PATTERN.fullmatch(value) is not None
    return id_number_form_ok(value)


def _kind(value: int) -> DeviceKind:
    _need(value in DeviceKind._value2member_map_, f"unknown device kind {value}")
    return DeviceKind(value)


def _firmware(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    if not (major.isdigit() and minor.isdigit() and int(major) < 256 and int(minor) < 256):
        raise ValueError(f"firmware {text!r} is not 'major.minor' with numbers below 256")
    return int(major), int(minor)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise PayloadError("bad_payload", message)
