"""好差评 from the phone: the holder of a ticket rates the step that just ended.

`GET /halls/{hall}/tickets/{id}/rating?key=` says whether the ticket's last step can be
rated now; `POST /halls/{hall}/tickets/{id}/rating {level, key}` rates it through the core's
`RateService` naming the ticket, the command a window's rating pad sends, so the same rules
hold: the ticket's last ended step, within the hall's `rating_minutes`, once per ticket step
(the window serving the next citizen meanwhile does not cut the citizen off).

Ticket ids are guessable, so both need the ticket's key (`tokens.TicketKeys`), which only
its QR link and the issuing answer carry; without it they answer 403 `invalid_ticket_key`
and the status page offers no rating. Refusals have stable codes: `not_finished` (nothing
ended yet), `already_rated`, `rating_closed` (too late).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from qms.core import rating as core_rating
from qms.core.commands import RateService
from qms.core.errors import NotFound, Refused
from qms.core.hall import Hall
from qms.core.model import RatingLevel, Ticket

from .errors import JSON, Forbidden
from .payloads import Fields, read_object
from .state import hall_service, web_state

DEVICE = "web"  # the rating's device: the citizen's own phone

_REFUSALS = {
    "not_finished": "there is nothing to rate yet: rate once your service at the window has ended",
    "already_rated": "this service has already been rated; thank you",
    "rating_closed": "the time to rate this service has passed",
}


def ticket_key(conn: HTTPConnection, hall_id: str, ticket_id: str) -> str:
    """The key of a ticket, for the links its holder gets."""
    return web_state(conn).ticket_keys.key(hall_id, ticket_id)


def _reason(refused: Refused) -> str:
    """The page's refusal code for a rating the core refused: rated already, or too late."""
    return "already_rated" if refused.code == "already_rated" else "rating_closed"


def rating_state(hall: Hall, ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Whether the ticket's last ended step can be rated now: `{open, reason, until}`;
    `reason` is the refusal code when it cannot. The core's own rule decides (a dry run of
    `rating.rate`, which changes nothing), so the page and a rating pad never disagree."""
    if not ticket.steps:
        return {"open": False, "reason": "not_finished", "until": None}
    last = ticket.steps[-1]
    until = last.finished_at + timedelta(minutes=hall.config.rating_minutes)
    try:
        core_rating.rate(hall, RateService(last.window, RatingLevel.SATISFIED, DEVICE, ticket.id), now)
        reason = None
    except Refused as refused:
        reason = _reason(refused)
    except NotFound:  # the window is no longer in the hall's configuration
        reason = "rating_closed"
    return {"open": reason is None, "reason": reason, "until": until.isoformat()}


def _check_key(request: Request, ticket_id: str, key: str | None) -> None:
    service = hall_service(request)
    if not web_state(request).ticket_keys.valid(service.id, ticket_id, key):
        raise Forbidden(
            "this link cannot rate the ticket: open the page from the ticket's QR code", code="invalid_ticket_key"
        )


async def rating(request: Request) -> Response:
    """One route for `/tickets/{id}/rating`: GET the state, POST a rating."""
    return await (rate(request) if request.method == "POST" else state(request))


async def state(request: Request) -> Response:
    """`GET /halls/{hall}/tickets/{id}/rating?key=`: `{rating: {open, reason, until}}`."""
    service = hall_service(request)
    ticket_id = request.path_params["id"]
    _check_key(request, ticket_id, request.query_params.get("key"))
    hall = await service.committed()
    return JSON({"rating": rating_state(hall, hall.ticket(ticket_id), service.now())})


async def rate(request: Request) -> Response:
    """`POST /halls/{hall}/tickets/{id}/rating {level, key}` -> 201 `{rating: {level, label, step}}`."""
    service = hall_service(request)
    ticket_id = request.path_params["id"]
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), ("level", "key"))
    _check_key(request, ticket_id, fields.optional_text("key"))
    level = fields.required_choice("level", RatingLevel)
    hall = await service.committed()
    ticket = hall.ticket(ticket_id)
    now = service.now()
    reason = rating_state(hall, ticket, now)["reason"]
    if reason is not None:
        raise Refused(_REFUSALS[reason], code=reason)
    command = RateService(ticket.steps[-1].window, level, DEVICE, ticket.id)
    try:
        await service.submit(command, actor=DEVICE)
    except Refused as refused:  # rated or too late between the check and the command
        code = _reason(refused)
        raise Refused(_REFUSALS[code], code=code) from refused
    body = {"level": level.value, "label": level.label, "step": len(ticket.steps) - 1}
    return JSON({"rating": body}, status_code=201)
