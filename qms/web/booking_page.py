"""The citizen's booking page (预约页面): `GET /book/{hall}`.

Server-rendered with jinja2 (Chinese first, English beneath), small enough for a phone, no
build step: the page carries the services, days and rules, and a little plain JavaScript
asks the JSON API for slots, books, looks bookings up and cancels them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .booking_desk import booking_desk
from .templating import templates


async def page(request: Request) -> Response:
    """The booking page of the hall in the path (404 JSON for a hall without booking)."""
    desk = booking_desk(request)
    ledger = await desk.service.committed()
    now = desk.service.now()
    calendar = desk.service.calendar
    services = []
    for s in ledger.rules.services:
        config = ledger.hall.service(s.service)
        if config is not None:
            services.append({"id": config.id, "name": config.name, "name_en": config.name_en})
    weekdays = "一二三四五六日"
    days = [
        {
            "date": d.isoformat(),
            "label": f"{d.month}月{d.day}日 周{weekdays[d.weekday()]}",
            "label_en": f"{d:%a %d %b}",
            "provisional": calendar.provisional(d),
        }
        for d in ledger.days(calendar, now)
    ]
    return templates.TemplateResponse(
        request,
        "booking.html",
        {
            "hall": ledger.hall,
            "services": services,
            "days": days,
            "rules": ledger.rules,
            "policy": ledger.hall.policy,
        },
    )
