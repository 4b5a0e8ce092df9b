"""Windows: their state for screens, and the actions of the staff member at each.

`POST /halls/{hall}/windows/{window}/{action}` maps one action to one core command, written
down as data in `ACTIONS` (the body fields it takes and how it builds its command). `open`
logs the caller in at the window; every other action needs the caller to be the one logged
in there, or an admin. Every action answers 200 with the window and the ticket it touched
as they stand after it, and the events it caused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from qms.core import commands as c
from qms.core.codec import event_to_json
from qms.core.errors import NotFound
from qms.core.events import Event, TicketCalled
from qms.core.hall import Hall
from qms.core.model import Outcome

from .auth import authenticate, may_act, may_open
from .errors import JSON
from .payloads import Fields, idempotency_key, read_object, ticket_view, window_view
from .state import hall_service, web_state

Build = Callable[[str, Fields, str], c.Command]


@dataclass(frozen=True, slots=True)
class Action:
    fields: tuple[str, ...]
    build: Build  # (window id, body fields, staff username) -> command


def _finish(w: str, f: Fields, who: str) -> c.Command:
    return c.FinishService(w, f.choice("outcome", Outcome, Outcome.COMPLETED), f.optional_text("next_service"), who)


def _transfer(w: str, f: Fields, who: str) -> c.Command:
    return c.Transfer(w, f.optional_text("to_service"), f.optional_text("to_window"), f.text("reason"), who)


ACTIONS: dict[str, Action] = {
    "open": Action((), lambda w, f, who: c.OpenWindow(w, staff=who)),
    "close": Action((), lambda w, f, who: c.CloseWindow(w, who)),
    "pause": Action(("reason",), lambda w, f, who: c.PauseWindow(w, f.text("reason"), who)),
    "resume": Action((), lambda w, f, who: c.ResumeWindow(w, who)),
    "call-next": Action((), lambda w, f, who: c.CallNext(w, who)),
    # the reason may be left out here: the hall itself refuses an empty one as reason_required
    "call": Action(
        ("ticket", "reason"), lambda w, f, who: c.CallTicket(w, f.required_text("ticket"), f.text("reason"), who)
    ),
    "recall": Action((), lambda w, f, who: c.Recall(w, who)),
    "no-show": Action((), lambda w, f, who: c.MarkNoShow(w, who)),
    "start": Action((), lambda w, f, who: c.StartService(w, who)),
    "finish": Action(("outcome", "next_service"), _finish),
    "transfer": Action(("to_service", "to_window", "reason"), _transfer),
    "hold": Action(("reason",), lambda w, f, who: c.HoldTicket(w, f.text("reason"), who)),
    "unhold": Action(("ticket",), lambda w, f, who: c.UnholdTicket(w, f.required_text("ticket"), who)),
}


async def index(request: Request) -> Response:
    """`GET /halls/{hall}/windows` (public): every window, for screens and the staff page."""
    service = hall_service(request)
    hall = await service.committed()
    return JSON({"windows": [window_view(hall, w) for w in hall.windows()]})


async def act(request: Request) -> Response:
    """`POST /halls/{hall}/windows/{window}/{action}` (staff)."""
    service = hall_service(request)
    principal = authenticate(request)
    window_id: str = request.path_params["window"]
    name: str = request.path_params["action"]
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(f"no window action {name!r}; expected one of {', '.join(ACTIONS)}", code="unknown_action")
    window = service.hall.window(window_id)
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), action.fields)
    if name == "open":
        may_open(principal, window)
    else:
        may_act(principal, window)
    command = action.build(window_id, fields, principal.username)
    key = idempotency_key(request, f"window/{window_id}/{name}")
    events = await service.submit(command, actor=principal.username, request_key=key)
    hall = await service.committed()
    body: dict[str, Any] = {
        "window": window_view(hall, hall.window(window_id)),
        "ticket": _touched(hall, events, window_id, service.now()),
        "events": [event_to_json(ev) for ev in events],
    }
    if name == "call-next" and not any(isinstance(ev, TicketCalled) and ev.window == window_id for ev in events):
        body["message"] = f"nobody is waiting for window {window.number}"
    return JSON(body)


def _touched(hall: Hall, events: Sequence[Event], window_id: str, now: datetime) -> dict[str, Any] | None:
    """The ticket the action moved (the last one an event of this window names), else the
    window's current ticket, else None."""
    ticket_id: str | None = None
    for ev in reversed(events):
        tid = getattr(ev, "ticket_id", None)
        if isinstance(tid, str) and window_id in (getattr(ev, "window", None), getattr(ev, "from_window", None)):
            ticket_id = tid
            break
    if ticket_id is None:
        ticket_id = hall.window(window_id).ticket
    if ticket_id is None:
        return None
    try:
        ticket = hall.ticket(ticket_id)
    except NotFound:
        return None
    return ticket_view(hall, ticket, now, private=True)
