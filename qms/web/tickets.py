"""Tickets: take one, follow it, list them, put a no-show back in line.

Taking a ticket at a kiosk or on a phone is public (normal or elderly priority); tickets
that bypass the line - staff-issued, green channel, booking check-in - need a staff token,
because the core trusts the channel it is told. `Idempotency-Key` makes a retried request
(a kiosk that lost the answer) return the ticket it already took, again with 201: the
client cannot tell a replay from the first answer, and need not.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from qms.core.codec import event_to_json
from qms.core.commands import IssueTicket, Reactivate
from qms.core.errors import Conflict, InvalidInput, NotFound
from qms.core.events import TicketIssued
from qms.core.model import Channel, Escalation, PriorityClass, TicketState

from .auth import Principal, authenticate
from .errors import JSON
from .payloads import Fields, idempotency_key, read_object, ticket_view
from .state import hall_service, web_state
from .ticket_rating import ticket_key

PUBLIC_CHANNELS = frozenset({Channel.KIOSK, Channel.MOBILE})
ISSUE_FIELDS = ("service", "channel", "priority", "id_number", "phone", "note", "appointment_at", "escalation")


async def collection(request: Request) -> Response:
    """One route for `/tickets` with both methods, so that a 405 names both in `Allow`."""
    return await (issue(request) if request.method == "POST" else index(request))


async def issue(request: Request) -> Response:
    """`POST /halls/{hall}/tickets` -> 201 `{"ticket": {...}}`."""
    service = hall_service(request)
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), ISSUE_FIELDS)
    channel = fields.choice("channel", Channel, Channel.KIOSK)
    priority = fields.choice("priority", PriorityClass, PriorityClass.NORMAL)
    principal: Principal | None = None
    if channel not in PUBLIC_CHANNELS or priority is PriorityClass.GREEN:
        principal = authenticate(request)
    escalation = None
    about = fields.nested("escalation", ("ticket", "window"))
    if about is not None:
        escalation = Escalation(about.required_text("ticket"), about.optional_text("window"))
    command = IssueTicket(
        service=fields.required_text("service"),
        channel=channel,
        priority=priority,
        id_number=fields.optional_text("id_number"),
        phone=fields.optional_text("phone"),
        appointment_at=fields.moment("appointment_at"),
        escalation=escalation,
        note=fields.text("note"),
        actor=principal.username if principal else channel.value,
    )
    events = await service.submit(command, actor=command.actor, request_key=idempotency_key(request, "issue"))
    issued = next((ev for ev in events if isinstance(ev, TicketIssued)), None)
    if issued is None:  # cannot happen with namespaced keys, unless the store was edited by hand
        raise Conflict("this Idempotency-Key was used for another request", code="idempotency_key_reused")
    hall = await service.committed()
    try:
        ticket = hall.ticket(issued.ticket.id)  # as it stands now, for a replayed request
    except NotFound:  # replayed after the day rolled over
        ticket = issued.ticket
    key = ticket_key(request, service.id, ticket.id)  # for the QR link the taker is shown
    return JSON({"ticket": ticket_view(hall, ticket, service.now(), private=True, key=key)}, status_code=201)


async def show(request: Request) -> Response:
    """`GET /halls/{hall}/tickets/{id}`: public, for the ticket's QR page to poll.

    Leaves out the masked identifiers and the note: ticket ids follow a pattern
    (day and number), so anyone could ask for any of them.
    """
    service = hall_service(request)
    hall = await service.committed()
    ticket = hall.ticket(request.path_params["id"])
    return JSON({"ticket": ticket_view(hall, ticket, service.now())})


async def index(request: Request) -> Response:
    """`GET /halls/{hall}/tickets?state=waiting&service=social` (staff): today's tickets in issue order."""
    service = hall_service(request)
    authenticate(request)
    states: set[TicketState] = set()
    for value in request.query_params.getlist("state"):
        try:
            states.add(TicketState(value))
        except ValueError:
            allowed = ", ".join(s.value for s in TicketState)
            raise InvalidInput(f"state {value!r} is not one of {allowed}") from None
    services = set(request.query_params.getlist("service"))
    hall, now = await service.committed(), service.now()
    for service_id in services:
        hall.service(service_id)  # 404 unknown_service rather than an empty list
    tickets = [
        ticket_view(hall, t, now, private=True)
        for t in hall.tickets()
        if (not states or t.state in states) and (not services or t.service in services)
    ]
    return JSON({"tickets": tickets})


async def reactivate(request: Request) -> Response:
    """`POST /halls/{hall}/tickets/{id}/reactivate` (staff): a no-show who came back."""
    service = hall_service(request)
    principal = authenticate(request)
    Fields(await read_object(request, web_state(request).max_body_bytes), ())
    ticket_id = request.path_params["id"]
    service.hall.ticket(ticket_id)  # 404 before the command is queued
    key = idempotency_key(request, f"reactivate/{ticket_id}")
    events = await service.submit(Reactivate(ticket_id, principal.username), actor=principal.username, request_key=key)
    hall = await service.committed()
    ticket = hall.ticket(ticket_id)
    return JSON(
        {
            "ticket": ticket_view(hall, ticket, service.now(), private=True),
            "events": [event_to_json(ev) for ev in events],
        }
    )
