"""Changing a hall's layout while it runs: services, windows and their weights, hours, policy.

A layout change is a command like any other (`ChangeLayout`), so it goes through the hall's
single writer, is stored in the command log, and its event (`LayoutChanged`, carrying the
whole new `HallConfig`) is replayed after a restart at the same point of the day as it
happened. Before that point the old layout holds, after it the new one.

`change_layout` checks the new layout against the state of the day and refuses, changing
nothing, whatever would strand a ticket or a window:

- a removed window must be closed, with no ticket held at it or sent to it;
- a window's number changes only while it is closed (the LED bar and the voice name it);
- a removed service must have no ticket today (each ticket shows its service's name);
- a ticket sent to one window must still be served there.

(`HallConfig` itself already checks that every service is served by some window, so a
waiting ticket never loses every window that could call it.)

`apply_layout` folds the event into the hall: the services and weights, the windows (new
ones start closed, open ones stay as they are), the timers of called tickets (the calling
rules may change), and the waiting line, rebuilt under the new policy in the order the
tickets were issued. Estimates are cached by staffing (estimate.py): bumping `staffing`
drops the cache, so no estimate is made from the old layout.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import commands as c
from . import events as e
from .codec import to_json
from .errors import InvalidInput, Refused
from .model import HallConfig, TicketState, WindowState, serves
from .policy import Streak, WaitingLine
from .records import WindowRecord

if TYPE_CHECKING:
    from .hall import Hall

# The parts of a layout, each shown as one line of the audit log.
_PARTS = ("hours", "policy", "calling", "name", "name_en", "rating_minutes")


def change_layout(hall: Hall, cmd: c.ChangeLayout, now: datetime) -> e.LayoutChanged:
    """The LayoutChanged event for `cmd`, or QmsError (nothing changed) when the new layout
    would strand a ticket or a window, or changes nothing."""
    old, new = hall.config, cmd.layout
    if new.id != old.id:
        raise InvalidInput(f"this is hall {old.id!r}, not {new.id!r}", code="layout_other_hall")
    if new.timezone != old.timezone:
        raise InvalidInput("the hall's time zone cannot change while it runs", code="layout_timezone")
    changes = differences(old, new)
    if not changes:
        raise InvalidInput("nothing was changed", code="layout_unchanged")
    _check_windows(hall, new)
    _check_services(hall, new)
    return e.LayoutChanged(new, now, cmd.actor, cmd.part, changes)


def _check_windows(hall: Hall, new: HallConfig) -> None:
    kept = {w.id: w for w in new.windows}
    for window in hall.windows():
        config = kept.get(window.id)
        if config is None and window.state is not WindowState.CLOSED:
            raise Refused(
                f"window {window.number} is {window.state.value}: close it before removing it", code="window_in_use"
            )
        if config is not None and config.number != window.number and window.state is not WindowState.CLOSED:
            raise Refused(
                f"window {window.number} is {window.state.value}: close it before changing its number",
                code="window_in_use",
            )
    weights = {w.id: serves(w, new.services) for w in new.windows}
    for ticket in hall.tickets():
        if ticket.state is TicketState.HELD and ticket.window is not None and ticket.window not in kept:
            raise Refused(
                f"ticket {ticket.number} is held at window {hall.window(ticket.window).number}: "
                "call it back and finish it before removing the window",
                code="window_has_tickets",
            )
        target = ticket.target_window
        if ticket.state is TicketState.WAITING and target is not None:
            if target not in kept:
                raise Refused(
                    f"ticket {ticket.number} was sent to window {hall.window(target).number}: "
                    "serve it there before removing the window",
                    code="window_has_tickets",
                )
            if ticket.service not in weights[target]:
                raise Refused(
                    f"ticket {ticket.number} waits at window {kept[target].number} for "
                    f"{hall.services[ticket.service].name}: keep that service there until it is served",
                    code="window_has_tickets",
                )


def _check_services(hall: Hall, new: HallConfig) -> None:
    # Today's tickets name their service, and every page shows its name: a service is removed
    # only on a day it has no ticket (before opening), so no ticket outlives its service.
    kept = {s.id for s in new.services}
    today: dict[str, int] = {}
    for ticket in hall.tickets():
        for service_id in {ticket.service, *(step.service for step in ticket.steps)} - kept:
            today[service_id] = today.get(service_id, 0) + 1
    for service_id, count in today.items():
        name = hall.services[service_id].name
        raise Refused(
            f"{name} has {count} ticket(s) today: remove it before tomorrow's opening",
            code="service_has_tickets",
        )


def apply_layout(hall: Hall, event: e.LayoutChanged) -> None:
    """Fold a LayoutChanged event into `hall` (see the module docstring)."""
    old, new = hall.config, event.layout
    hall.config = new
    hall.services = {s.id: s for s in new.services}
    hall.weights = {w.id: serves(w, new.services) for w in new.windows}
    windows: dict[str, WindowRecord] = {}
    for config in new.windows:
        record = hall._windows.get(config.id)
        if record is None:
            record = WindowRecord(config)  # closed
        elif (record.number, record.kind) != (config.number, config.kind):
            record.number, record.kind = config.number, config.kind
            record.changed()
        windows[config.id] = record
    hall._windows = windows
    hall._streaks = {wid: hall._streaks.get(wid) or Streak() for wid in windows}
    for gone in [wid for wid in hall.ended_steps if wid not in windows]:
        del hall.ended_steps[gone]
    for gone in [s for s in hall.handling_seconds if s not in hall.services]:
        del hall.handling_seconds[gone]
    hall._issuing = None  # the issuing hours of the day are worked out again from the new hours
    # the calling rules may have changed: the timers of called tickets are set again
    hall._due.clear()
    hall._due_heap.clear()
    for record in windows.values():
        if record.state is WindowState.CALLING:
            hall._window_changed(record, staffed_before=True)  # sets its timer; staffing unchanged
    if new.policy != old.policy:
        hall.line = WaitingLine(new.policy)
        for card in hall._cards.values():  # in the order issued, so ties keep their order
            if card.state is TicketState.WAITING:
                hall._enqueue(card)
    hall.staffing += 1  # drops the estimates' capacity memo (estimate.py)


def differences(old: HallConfig, new: HallConfig) -> tuple[e.LayoutChange, ...]:
    """What differs between two layouts, one entry per service, window or part."""
    out: list[e.LayoutChange] = []
    for kind, before, after in (
        ("service", {s.id: s for s in old.services}, {s.id: s for s in new.services}),
        ("window", {w.id: w for w in old.windows}, {w.id: w for w in new.windows}),
    ):
        for key in [*before, *(k for k in after if k not in before)]:
            was, now = before.get(key), after.get(key)
            if was != now:
                out.append(describe_change(f"{kind} {key}", was, now))
    for part in _PARTS:
        was, now = getattr(old, part), getattr(new, part)
        if was != now:
            out.append(describe_change(part, was, now))
    return tuple(out)


def describe_change(subject: str, was: Any, now: Any) -> e.LayoutChange:
    """A change of a core value (a service, a window, the policy, the booking rules) as the
    audit log shows it: of a thing kept, only the fields that changed; None: did not exist."""
    before = None if was is None else to_json(was)
    after = None if now is None else to_json(now)
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [k for k in before if before[k] == after.get(k)]:
            del before[key], after[key]
    for data in (before, after):
        if isinstance(data, dict):
            data.pop("id", None)  # the subject names it already
    return e.LayoutChange(subject, _text(before), _text(after))


def _text(data: Any) -> str:
    return "" if data is None else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
