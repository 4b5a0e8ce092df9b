"""The real-time efficiency dashboard (实时效能监控): `/dashboard/{hall}` and its figures.

`GET /api/v1/halls/{hall}/efficiency` answers today's figures (`qms.core.efficiency`) as
JSON. They carry no personal data (counts, ticket numbers, windows and staff usernames as the
windows list shows them), so they are public like the queues. The page, made for a 1080p TV,
renders nothing live itself: it fetches the figures when the hall's events websocket says
something happened (at most once a second) and every 30 s, and reconnects by itself.

Ratings are not kept in the hall's state, only in the store's `ratings` projection; a store
without one (a test fake) gives no ratings.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from qms.core.efficiency import Efficiency, efficiency
from qms.core.model import RatingLevel
from qms.service import HallService

from .errors import JSON
from .payloads import queue_view
from .state import hall_service, web_state
from .templating import no_hall_page, templates

REFRESH_SECONDS = 30
MIN_FETCH_SECONDS = 1.0


async def day_ratings(service: HallService, day: date | None) -> list[RatingLevel]:
    """The levels of the hall's ratings of `day`, read from the store's projection."""
    if day is None:
        return []
    rows = await service.store.ratings(service.id, day)
    return [RatingLevel(row["level"]) for row in rows]


def efficiency_view(figures: Efficiency) -> dict[str, Any]:
    """The figures as the JSON API and the dashboard page read them."""
    ratings = figures.ratings
    share = ratings.good_share
    return {
        "day": figures.day,
        "at": figures.at.isoformat(),
        "taken": figures.taken,
        "called": figures.called,
        "waiting": figures.waiting,
        "handled": figures.handled,
        "no_shows": figures.no_shows,
        "cancelled": figures.cancelled,
        "avg_wait_minutes": figures.avg_wait_minutes,
        "avg_handling_minutes": figures.avg_handling_minutes,
        "slots": [{"start": s.start.strftime("%H:%M"), "taken": s.taken, "called": s.called} for s in figures.slots],
        "hot": [
            {"service": h.service, "name": h.name, "name_en": h.name_en, "tickets": h.tickets} for h in figures.hot
        ],
        "windows": [
            {
                "id": w.id,
                "number": w.number,
                "name": w.name,
                "state": w.state,
                "staff": w.staff,
                "ticket": w.ticket,
                "handled": w.handled,
            }
            for w in figures.windows
        ],
        "queues": [queue_view(q) for q in figures.queues],
        "ratings": {
            "total": ratings.total,
            "good": ratings.good,
            "good_share": None if share is None else round(share, 4),
            "by_level": [
                {"level": str(level), "label": level.label, "bad": level.bad, "count": n}
                for level, n in ratings.by_level
            ],
        },
    }


async def efficiency_figures(request: Request) -> Response:
    """`GET /halls/{hall}/efficiency`: today's efficiency figures (see `qms.core.efficiency`)."""
    service = hall_service(request)
    hall = await service.committed()
    now = service.now()
    levels = await day_ratings(service, hall.day)
    hall = await service.committed()  # the ratings read may have let a batch in: figures of the stored state
    return JSON(efficiency_view(efficiency(hall, now, levels)))


async def dashboard_page(request: Request) -> Response:
    """`GET /dashboard/{hall}`: the big screen of the hall's figures, for a 1080p TV."""
    hall_id = request.path_params["hall"]
    service = web_state(request).services.get(hall_id)
    if service is None:
        return no_hall_page(request, hall_id, ("效能大屏", "dashboard"))
    config = service.config
    settings = {
        "hall": config.id,
        "timezone": config.timezone,
        "events": f"/api/v1/halls/{config.id}/events",
        "figures": f"/api/v1/halls/{config.id}/efficiency",
        "refresh_seconds": REFRESH_SECONDS,
        "min_fetch_seconds": MIN_FETCH_SECONDS,
    }
    context = {"hall_name": config.name, "hall_name_en": config.name_en, "settings": settings}
    return templates.TemplateResponse(request, "dashboard.html", context)
