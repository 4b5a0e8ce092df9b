"""取消排队 from the phone: the holder of a waiting ticket leaves the queue.

`POST /halls/{hall}/tickets/{id}/cancel {key}` cancels the ticket through the core's
`CancelTicket`: it leaves the waiting line at once, so people ahead, waits and the queue
counts of screens, kiosks and the dashboard drop it, and no window calls it into the void
(which would cost a window its recalls and end in a no-show).

Ticket ids are guessable, so it needs the ticket's key (`tokens.TicketKeys`), as rating from
the phone does; without it, or with a wrong one, it answers 403 `invalid_ticket_key` and
changes nothing. Cancelling a cancelled ticket answers the same again (a retried tap); a
ticket already called, being served, held or ended is refused with 409 `ticket_<state>`
(`ticket_called`, ...). Messages are in Chinese and English: the citizen's page shows them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from qms.core.commands import CancelTicket
from qms.core.errors import IllegalTransition

from .errors import JSON, Forbidden
from .payloads import Fields, read_object, ticket_view
from .state import hall_service, web_state

ACTOR = "web"  # who cancelled: the citizen, on the ticket's own page

_REFUSALS = {
    "called": ("已叫号，请到窗口办理；如不办理请告知工作人员", "has been called: go to the window, or tell the staff"),
    "serving": ("正在办理，不能取消", "is being served: it can no longer be cancelled"),
    "held": ("业务暂挂中，请告知窗口工作人员", "is on hold at a window: please tell the staff there"),
    "finished": ("已办理完毕", "is finished"),
    "no_show": ("已过号，无需取消", "was missed: there is nothing to cancel"),
    "expired": ("已过期，无需取消", "has expired: there is nothing to cancel"),
}


async def cancel(request: Request) -> Response:
    """`POST /halls/{hall}/tickets/{id}/cancel {key}` -> 200 `{ticket}`, the ticket as it stands."""
    service = hall_service(request)
    ticket_id = request.path_params["id"]
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), ("key",))
    if not web_state(request).ticket_keys.valid(service.id, ticket_id, fields.optional_text("key")):
        raise Forbidden(
            "此链接不能取消该号票，请扫描号票上的二维码打开 / "
            "this link cannot cancel the ticket: open the page from the ticket's QR code",
            code="invalid_ticket_key",
        )
    number = (await service.committed()).ticket(ticket_id).number  # 404 before the command is queued
    try:
        await service.submit(CancelTicket(ticket_id, actor=ACTOR), actor=ACTOR)
    except IllegalTransition as refused:
        state = refused.code.removeprefix("ticket_")
        zh, en = _REFUSALS.get(state, ("不能取消", "cannot be cancelled"))
        raise IllegalTransition(f"{number} 号{zh} / ticket {number} {en}", code=refused.code) from refused
    hall = await service.committed()
    return JSON({"ticket": ticket_view(hall, hall.ticket(ticket_id), service.now())})
