"""`/t/{hall}/{ticket}`: a ticket's public status page (一码办事), the page its QR code opens.

Phone-sized, Chinese first with English beneath. The server renders the ticket as it stands,
so the page reads right before any script runs; `static/ticket/status.js` then keeps it live:
it refetches the public ticket (`GET /api/v1/halls/{hall}/tickets/{id}`) whenever the hall's
events websocket says something happened, and every few seconds besides, so the page also
follows after a server restart (the socket reconnects by itself with a back-off).

"快到您了 / Your turn is near" shows when the ticket has at most `near` people ahead
(`?near=` on the address, 3 by default). The page shows only what the public ticket carries:
number, service, state, window, people ahead and wait, never an ID number or a phone.

With the ticket's key in the address (`?k=`, what the printed and shown QR codes carry) the
page also offers 好差评 once a step has ended (`ticket_rating.py`): five levels, 非常满意 to
非常不满意; and, while the ticket waits, 取消排队 (`ticket_cancel.py`), after a confirmation.
Without it, or with a wrong one, the page shows the status only: ticket ids are guessable,
keys are not.

`/t/{hall}/{ticket}/qr.svg` is the QR code of the page's own address, drawn server-side,
for the kiosk's confirmation; given the ticket's key (`?k=`) it puts the key in the address.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode  # type: ignore[import-untyped]  # the package ships no type hints
import qrcode.image.svg  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import Response

from qms.core.errors import NotFound
from qms.core.model import RatingLevel

from .payloads import ticket_view
from .state import web_state
from .templating import error_page as _page
from .templating import templates
from .ticket_rating import rating_state

NEAR_DEFAULT, NEAR_MAX = 3, 50
LEVELS_EN = {
    RatingLevel.VERY_SATISFIED: "Very satisfied",
    RatingLevel.SATISFIED: "Satisfied",
    RatingLevel.BASICALLY_SATISFIED: "Fairly satisfied",
    RatingLevel.DISSATISFIED: "Dissatisfied",
    RatingLevel.VERY_DISSATISFIED: "Very dissatisfied",
}
POLL_SECONDS = 5


def error_page(request: Request, status: int, title: tuple[str, str], detail: tuple[str, str]) -> Response:
    """A friendly page in both languages (the citizen pages' 404 and 400), phone-sized."""
    return _page(request, status, title, detail, look="phone")


def no_hall(request: Request, hall_id: str) -> Response:
    """404: the address names a hall this server does not run."""
    return error_page(
        request,
        404,
        ("没有这个大厅", "No such hall"),
        (
            f"本服务器没有编号为「{hall_id}」的大厅，请检查网址或重新扫码。",
            f"This server runs no hall {hall_id!r}. Please check the address or scan the code again.",
        ),
    )


async def status_page(request: Request) -> Response:
    """`GET /t/{hall}/{ticket}?near=3`: the ticket's state, people ahead and wait, live."""
    hall_id, ticket_id = request.path_params["hall"], request.path_params["ticket"]
    service = web_state(request).services.get(hall_id)
    if service is None:
        return no_hall(request, hall_id)
    near = request.query_params.get("near") or str(NEAR_DEFAULT)
    if not near.isdigit() or int(near) > NEAR_MAX:
        return error_page(
            request,
            400,
            ("网址有误", "Wrong address"),
            (f"参数 near={near} 无效：应为 0–{NEAR_MAX}。", f"near={near!r} is not valid: expected 0–{NEAR_MAX}."),
        )
    hall = await service.committed()
    try:
        ticket = hall.ticket(ticket_id)
    except NotFound:
        return error_page(
            request,
            404,
            ("没有找到这张号票", "Ticket not found"),
            (
                "号票只在取号当天有效。如号票是今天取的，请检查网址或重新扫码，或到咨询台询问。",
                "A ticket is valid on the day it was taken. If yours is from today, "
                "check the address or scan again, or ask at the information desk.",
            ),
        )
    view: dict[str, Any] = ticket_view(hall, ticket, service.now())
    config = service.config
    key = request.query_params.get("k")
    keyed = web_state(request).ticket_keys.valid(config.id, ticket.id, key)
    settings = {
        "hall": config.id,
        "ticket": ticket.id,
        "timezone": config.timezone,
        "near": int(near),
        "poll_seconds": POLL_SECONDS,
        "api": f"/api/v1/halls/{config.id}/tickets/{ticket.id}",
        "events": f"/api/v1/halls/{config.id}/events",
        "rating": None,
        "cancel": None,
    }
    if keyed:
        settings["cancel"] = {"api": f"/api/v1/halls/{config.id}/tickets/{ticket.id}/cancel", "key": key}
        settings["rating"] = {
            "api": f"/api/v1/halls/{config.id}/tickets/{ticket.id}/rating",
            "key": key,
            "initial": rating_state(hall, ticket, service.now()),
        }
    context = {
        "hall_name": config.name,
        "hall_name_en": config.name_en,
        "ticket": view,
        "settings": settings,
        "levels": [(level.value, level.label, LEVELS_EN[level]) for level in RatingLevel] if keyed else [],
    }
    return templates.TemplateResponse(request, "ticket.html", context, headers={"Cache-Control": "no-store"})


def qr_svg(text: str) -> bytes:
    """`text` as a QR code, an SVG document."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    svg: bytes = out.getvalue()
    return svg


async def qr_code(request: Request) -> Response:
    """`GET /t/{hall}/{ticket}/qr.svg`: the QR code of the ticket's status page."""
    hall_id, ticket_id = request.path_params["hall"], request.path_params["ticket"]
    service = web_state(request).services.get(hall_id)
    if service is None:
        return no_hall(request, hall_id)
    hall = await service.committed()
    try:
        hall.ticket(ticket_id)
    except NotFound:
        return Response("no such ticket today\n", status_code=404, media_type="text/plain; charset=utf-8")
    url = str(request.url_for("ticket_page", hall=hall_id, ticket=ticket_id))
    key = request.query_params.get("k")
    if web_state(request).ticket_keys.valid(hall_id, ticket_id, key):
        url += f"?k={key}"
    return Response(qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
