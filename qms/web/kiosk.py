"""`/kiosk/{hall}`: the ticket kiosk (取号机), a 1080x1920 portrait touch screen in the hall.

A citizen picks a service (by department, or by searching: Chinese, English, or the pinyin
initials of the name typed on the on-screen keyboard, e.g. `ylbx` for 养老保险), sees how many
wait and the estimated wait, and takes a ticket (`POST /api/v1/halls/{hall}/tickets`, channel
`kiosk`, with an `Idempotency-Key` so that a retried tap does not take two). The confirmation
shows the number, the service, people ahead, the wait and a QR code of the ticket's status
page (`ticket_page.py`), then returns to the start. A booking is checked in by its code or the
citizen's ID number (the booking API; the button is there only in halls that take bookings).
The elderly mode (适老化) gives larger type, high contrast and fewer items per screen; it goes
back off when the page returns to the start, for the next citizen. Errors (hall closed, daily
cap, band full, ...) are said in plain words, with the API's own message beneath.

Printing: the browser prints nothing. A kiosk PC with a ticket printer runs as a dispenser
device over MQTT (`evt/take`, see `qms/mqtt/` and `firmware_bridge/`), which prints the ticket
with its QR code; this page is then the touch screen in front of it, or a kiosk without one.

Everything live (waiting counts and waits) comes from `GET /queues`, asked again when the
hall's events websocket reports something and every few seconds anyway, so the page keeps
working and recovers by itself after a server restart.
"""

from __future__ import annotations

from typing import Any

from pypinyin import Style, lazy_pinyin
from starlette.requests import Request
from starlette.responses import Response

from qms.core.estimate import queues as queue_status

from .payloads import queue_view
from .state import web_state
from .templating import no_hall_page, templates
from .ticket_page import error_page

RETURN_SECONDS, MIN_RETURN_SECONDS, MAX_RETURN_SECONDS = 15, 3, 120  # the confirmation, then the start


def initials(text: str) -> str:
    """The pinyin initials of `text`'s Chinese characters (`养老保险` -> `ylbx`); other letters as they are."""
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return "".join(letters).lower()


def departments(queues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hall's services grouped by department, in the order of the hall file."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for q in queues:
        q = {**q, "initials": initials(q["name"])}
        groups.setdefault(q["department"] or "综合", []).append(q)
    return [{"name": name, "services": services} for name, services in groups.items()]


async def page(request: Request) -> Response:
    """`GET /kiosk/{hall}?return=15`: the kiosk; `return` is how many seconds the confirmation stays."""
    hall_id = request.path_params["hall"]
    state = web_state(request)
    service = state.services.get(hall_id)
    if service is None:
        return no_hall_page(request, hall_id, ("取号机", "kiosk"), look="phone")
    back = request.query_params.get("return") or str(RETURN_SECONDS)
    if not back.isdigit() or not MIN_RETURN_SECONDS <= int(back) <= MAX_RETURN_SECONDS:
        span = f"{MIN_RETURN_SECONDS}–{MAX_RETURN_SECONDS}"
        return error_page(
            request,
            400,
            ("取号机网址有误", "Wrong kiosk address"),
            (f"参数 return={back} 无效：应为 {span} 秒。", f"return={back!r} is not valid: expected {span} seconds."),
        )
    hall = await service.committed()
    queues = [queue_view(q) for q in queue_status(hall, service.now())]
    config = service.config
    settings = {
        "hall": config.id,
        "timezone": config.timezone,
        "return_seconds": int(back),
        "tickets": f"/api/v1/halls/{config.id}/tickets",
        "queues": f"/api/v1/halls/{config.id}/queues",
        "events": f"/api/v1/halls/{config.id}/events",
        "check_in": f"/api/v1/halls/{config.id}/check-in",
        "status_page": f"/t/{config.id}/",
    }
    context = {
        "hall_name": config.name,
        "hall_name_en": config.name_en,
        "departments": departments(queues),
        "booking": hall_id in state.bookings,
        "settings": settings,
    }
    return templates.TemplateResponse(request, "kiosk.html", context, headers={"Cache-Control": "no-store"})
