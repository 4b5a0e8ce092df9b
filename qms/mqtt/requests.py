"""Device events into hall commands, with the registry's rules.

A device must be in the device registry (kept on the admin pages, seeded from `[[devices]]`),
may send only the events of its kind, and a keypad or rating pad acts only for its own window.
Breaking a rule raises ContractError with a stable code; the gateway answers it with an `ack`
of `ok: false`, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from qms.config.devices import DeviceConfig
from qms.contract import (
    EVENTS_BY_KIND,
    Button,
    ButtonPressed,
    ContractError,
    DeviceEvent,
    HelpPressed,
    RatingGiven,
    TakeTicket,
    decode_event,
)
from qms.core import commands as c
from qms.core.events import Event, ServiceFinished, ServiceRated, TicketCalled, TicketIssued, WindowOpened
from qms.core.model import Channel, Outcome, PriorityClass, RatingLevel


class StaffAccountLike(Protocol):
    """What the gateway reads of a staff account (`qms.config`'s StaffAccount fits)."""

    @property
    def username(self) -> str: ...

    @property
    def windows(self) -> Collection[str]: ...


def decode_for(device: DeviceConfig | None, device_id: str, name: str, payload: bytes) -> DeviceEvent:
    """The payload of `evt/<name>` from `device_id`, if that device may send it."""
    if device is None:
        raise ContractError("unknown_device", f"device {device_id!r} is not in this hall's device registry")
    if name not in EVENTS_BY_KIND[device.kind]:
        raise ContractError("wrong_kind", f"a {device.kind.value} does not send evt/{name}")
    return decode_event(name, payload)


def command_for(
    device: DeviceConfig, event: DeviceEvent, staff: Mapping[str, StaffAccountLike] | None = None
) -> c.Command:
    """The hall command a device event asks for; `staff` are the accounts a keypad may sign in."""
    actor = device.id
    match event:
        case ButtonPressed(button=Button.OPEN, staff=username):
            window = _own_window(device, event.window)
            account = (staff or {}).get(username or "")
            if account is None:
                raise ContractError("unknown_staff", f"no staff account {username!r} in this hall")
            if account.windows and window not in account.windows:
                raise ContractError("not_your_window", f"{username} may not open window {window}")
            return c.OpenWindow(window, account.username)
        case ButtonPressed():
            window = _own_window(device, event.window)
            return _button(window, event, actor)
        case RatingGiven():
            window = _own_window(device, event.window)
            return c.RateService(window, RatingLevel(event.level.value), actor, event.ticket)
        case TakeTicket():
            return c.IssueTicket(
                service=event.service,
                channel=Channel.KIOSK,
                priority=PriorityClass(event.priority.value),
                id_number=event.id_number,
                phone=event.phone,
                actor=actor,
            )
        case HelpPressed():
            return c.RequestHelp(device.window or device.zone, actor, event.note)
    raise ContractError("unknown_event", f"no command for {type(event).__name__}")  # pragma: no cover


def _own_window(device: DeviceConfig, named: str | None) -> str:
    assert device.window is not None  # the config loader requires it for window kinds
    if named is not None and named != device.window:
        raise ContractError("wrong_window", f"device {device.id} belongs to window {device.window}, not {named}")
    return device.window


def _button(window: str, event: ButtonPressed, actor: str) -> c.Command:
    match event.button:
        case Button.CLOSE:
            return c.CloseWindow(window, actor)
        case Button.NEXT:
            return c.CallNext(window, actor)
        case Button.RECALL:
            return c.Recall(window, actor)
        case Button.NO_SHOW:
            return c.MarkNoShow(window, actor)
        case Button.START:
            return c.StartService(window, actor)
        case Button.FINISH:
            outcome = Outcome(event.outcome.value) if event.outcome is not None else Outcome.COMPLETED
            return c.FinishService(window, outcome, actor=actor)
        case Button.PAUSE:
            return c.PauseWindow(window, event.reason, actor)
        case Button.RESUME:
            return c.ResumeWindow(window, actor)
        case Button.TRANSFER:
            return c.Transfer(window, event.to_service, event.to_window, event.reason, actor)
    raise ContractError("bad_value", f"button {event.button} is not handled here")  # OPEN: see command_for


def success_message(device: DeviceConfig, event: DeviceEvent, events: Sequence[Event]) -> str:
    """What a device's small display says after its event went through."""
    # the clock's events (another window's automatic recall) may come first: skip them
    events = [ev for ev in events if getattr(ev, "window", device.window) == device.window]
    for ev in events:
        if isinstance(ev, TicketCalled):
            return f"已呼叫 {ev.ticket_id.split('-')[-1]}" + (f" (第{ev.call_count}次)" if ev.recall else "")
        if isinstance(ev, TicketIssued):
            return f"取号成功 {ev.ticket.number}"
        if isinstance(ev, ServiceRated):
            return "感谢您的评价"
        if isinstance(ev, ServiceFinished):
            return "已办结"
        if isinstance(ev, WindowOpened):
            return f"{ev.staff} 已登录"
    if isinstance(event, ButtonPressed) and event.button is Button.NEXT and not events:
        return "无人等候"
    if isinstance(event, HelpPressed):
        return "已通知工作人员，请稍候"
    return "好"
