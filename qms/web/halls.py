"""The halls this server runs, their health, and their queues as the waiting-area screens show them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from qms.core.estimate import queues as queue_status
from qms.core.model import TicketState, WindowState

from .errors import JSON
from .payloads import queue_view
from .state import hall_service, web_state


async def index(request: Request) -> Response:
    """`GET /halls`: id and names of every hall."""
    halls = [
        {
            "id": service.id,
            "name": service.config.name,
            "name_en": service.config.name_en,
            "timezone": service.config.timezone,
        }
        for service in web_state(request).services.values()
    ]
    return JSON({"halls": halls})


async def health(request: Request) -> Response:
    """`GET /health`: `{"status": "ok"}` and per-hall counters, for monitoring and load balancers."""
    halls = {}
    for hall_id, service in web_state(request).services.items():
        hall = await service.committed()
        tickets = hall.tickets()
        halls[hall_id] = {
            "day": None if hall.day is None else hall.day.isoformat(),
            "tickets": len(tickets),
            "waiting": sum(1 for t in tickets if t.state is TicketState.WAITING),
            "windows_open": sum(1 for w in hall.windows() if w.state is not WindowState.CLOSED),
            "running": service.running,
            "subscribers": len(service.fanout),
            **service.stats,
        }
    # a hall whose writer stopped takes no commands: tell the load balancer
    ok = all(service.running for service in web_state(request).services.values())
    return JSON({"status": "ok" if ok else "degraded", "halls": halls}, status_code=200 if ok else 503)


async def queues(request: Request) -> Response:
    """`GET /halls/{hall}/queues`: per service, people waiting and the wait of a ticket taken now."""
    service = hall_service(request)
    hall = await service.committed()
    return JSON({"queues": [queue_view(q) for q in queue_status(hall, service.now())]})
