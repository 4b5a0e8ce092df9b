"""The MQTT contract between the server and the hall's devices, version 1.

The only part of `qms` that `displays/` and `firmware_bridge/` import: pure (standard
library only, no I/O), so a device process, the bridge and the server agree by construction.
Topics are built and parsed in `topics`, payloads are frozen dataclasses in `payloads`
(`encode() -> bytes`, `decode(bytes) -> payload`, raising `ContractError(code, message)`).

Root `qms/1/<hall>/`; ids are `[a-z0-9-]`. State is retained, events and commands never
are; the state of a window or zone removed from the hall is cleared (an empty retained
payload, which a display takes as "blank"). QoS 1 everywhere: `msg_id` makes a duplicate
delivery harmless (the server answers a repeated `msg_id` of a device with the first answer
and changes nothing), `seq` lets a display drop a stale frame.

| topic after root         | direction            | retained         | payload                                   |
|--------------------------|----------------------|------------------|-------------------------------------------|
| `$server`                | server               | yes, will `lost` | `ready` / `disconnected` / `lost`          |
| `dev/<dev>/$state`       | device or bridge     | yes, will `lost` | `init` / `ready` / `lost`                  |
| `dev/<dev>/$meta`        | device               | yes              | DeviceMeta `{kind, model, firmware, parent}` |
| `dev/<dev>/evt/button`   | keypad -> server     | no               | ButtonPressed `{msg_id, button, ...}`      |
| `dev/<dev>/evt/take`     | dispenser -> server  | no               | TakeTicket `{msg_id, service, ...}`        |
| `dev/<dev>/evt/rating`   | rating pad -> server | no               | RatingGiven `{msg_id, level, ...}`         |
| `dev/<dev>/evt/help`     | device -> server     | no               | HelpPressed `{msg_id, note}`               |
| `dev/<dev>/evt/checkin`  | dispenser -> server  | no               | BookingCheckIn `{msg_id, code or id_number}` |
| `dev/<dev>/cmd/print`    | server -> dispenser  | no               | PrintTicket `{msg_id, number, qr_url, ...}` |
| `dev/<dev>/cmd/show`     | server -> device     | no               | ShowText `{msg_id, text, seconds}`         |
| `dev/<dev>/cmd/beep`     | server -> device     | no               | Beep `{msg_id, times}`                     |
| `dev/<dev>/ack`          | both                 | no               | Ack `{msg_id, ok, error, message}`         |
| `window/<win>/display`   | server -> LED bar    | yes              | WindowDisplay `{seq, ticket, text, state}` |
| `screen/<zone>`          | server -> screens    | yes              | ScreenState `{seq, recent, waiting, eta}`  |
| `voice/<zone>`           | server -> players    | no               | VoiceAnnouncement `{seq, text, audio_url}` |

Rules the server enforces (see `qms.mqtt`): a device must be registered in the hall file
(`[[devices]]`), may send only the events of its kind (`EVENTS_BY_KIND`), and a keypad or
rating pad acts only for the window it is registered to. Whatever breaks the contract is
answered with an `ack` of `ok: false` and a stable `error` code, logged, and changes nothing.
`evt/checkin` is answered like `evt/take` (an `ack`, and on success a `cmd/print`); a refused
check-in's `error` is the booking's own code (`unknown_booking`, `booking_too_early`,
`booking_late`, `booking_missed`, `booking_cancelled`, `no_booking_today`, `invalid_id_number`,
`booking_disabled` where the hall takes no bookings) and its `message` is for the dispenser's screen.
"""

from . import topics
from .broker import Broker, Reconnect
from .displays import DisplayState, QueueCount, RecentCall, ScreenState, ServiceEta, VoiceAnnouncement, WindowDisplay
from .errors import ContractError
from .payloads import (
    COMMAND_PAYLOADS,
    EVENT_PAYLOADS,
    EVENTS_BY_KIND,
    WINDOW_KINDS,
    Ack,
    Beep,
    BookingCheckIn,
    Button,
    ButtonPressed,
    DeviceCommand,
    DeviceEvent,
    DeviceKind,
    DeviceMeta,
    DeviceState,
    HelpPressed,
    Outcome,
    PrintTicket,
    Priority,
    RatingGiven,
    RatingLevel,
    ServerState,
    ShowText,
    TakeTicket,
    command_name,
    decode_command,
    decode_event,
    id_number_form_ok,
    presence,
)
from .topics import Topic, TopicKind, parse_topic

__all__ = [
    "COMMAND_PAYLOADS",
    "EVENTS_BY_KIND",
    "EVENT_PAYLOADS",
    "WINDOW_KINDS",
    "Ack",
    "Beep",
    "BookingCheckIn",
    "Broker",
    "Button",
    "ButtonPressed",
    "ContractError",
    "DeviceCommand",
    "DeviceEvent",
    "DeviceKind",
    "DeviceMeta",
    "DeviceState",
    "DisplayState",
    "HelpPressed",
    "Outcome",
    "PrintTicket",
    "Priority",
    "QueueCount",
    "RatingGiven",
    "RatingLevel",
    "RecentCall",
    "Reconnect",
    "ScreenState",
    "ServerState",
    "ServiceEta",
    "ShowText",
    "TakeTicket",
    "Topic",
    "TopicKind",
    "VoiceAnnouncement",
    "WindowDisplay",
    "command_name",
    "decode_command",
    "decode_event",
    "id_number_form_ok",
    "parse_topic",
    "presence",
    "topics",
]
