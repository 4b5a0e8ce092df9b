"""The JSON API and websockets of a qms server, as one Starlette application.

`create_app` wires running hall services, staff accounts and the token secret into an ASGI
app. The app does not own the halls by default: whoever made the services (the CLI) starts
them before serving and stops them after. When the services must run on the server's own
event loop - under uvicorn's or the TestClient's loop - pass `runtime`, a factory of an async
context manager that the app's lifespan enters at start-up and leaves at shutdown, e.g.

    @asynccontextmanager
    async def runtime():
        await store.open()
        for s in services.values():
            await s.start()
        try:
            yield
        finally:
            for s in services.values():
                await s.stop()
            await store.close()

    app = create_app(services, staff, secret, runtime=runtime)
    uvicorn.run(app)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from qms.core.errors import QmsError
from qms.service import HallService

from . import (
    admin,
    auth,
    booking_admin,
    booking_page,
    bookings,
    console,
    events,
    halls,
    screen,
    templating,
    ticket_cancel,
    ticket_rating,
    tickets,
    voice,
    windows,
)
from .bad_ratings import bad_ratings, record_follow_up
from .booking_desk import BookingDesk
from .dashboard import dashboard_page, efficiency_figures
from .errors import CatchAll, on_http_error, on_qms_error
from .kiosk import page as kiosk_page
from .reports import daily_report, daily_report_csv
from .reports_page import reports_page
from .state import StaffAccountLike, WebState
from .ticket_page import qr_code as ticket_qr_code
from .ticket_page import status_page as ticket_status_page
from .tokens import DEFAULT_TTL_SECONDS, LoginThrottle, TicketKeys, TokenSigner

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 16 * 1024

Runtime = Callable[[], AbstractAsyncContextManager[Any]]


def routes() -> list[BaseRoute]:
    """Every route of the API, under `/api/v1`, and the pages with their static files."""
    return [
        Mount(
            API_PREFIX,
            routes=[
                Route("/health", halls.health, methods=["GET"]),
                Route("/halls", halls.index, methods=["GET"]),
                Route("/auth/login", auth.login, methods=["POST"]),
                Route("/halls/{hall}/queues", halls.queues, methods=["GET"]),
                Route("/halls/{hall}/efficiency", efficiency_figures, methods=["GET"]),
                Route("/halls/{hall}/reports/daily", daily_report, methods=["GET"]),
                Route("/halls/{hall}/reports/daily.csv", daily_report_csv, methods=["GET"]),
                Route("/halls/{hall}/ratings/bad", bad_ratings, methods=["GET"]),
                Route("/halls/{hall}/ratings/{id}/follow-up", record_follow_up, methods=["POST"]),
                Route("/halls/{hall}/windows", windows.index, methods=["GET"]),
                Route("/halls/{hall}/windows/{window}/{action}", windows.act, methods=["POST"]),
                Route("/halls/{hall}/tickets", tickets.collection, methods=["GET", "POST"]),
                Route("/halls/{hall}/tickets/{id}", tickets.show, methods=["GET"]),
                Route("/halls/{hall}/tickets/{id}/reactivate", tickets.reactivate, methods=["POST"]),
                Route("/halls/{hall}/tickets/{id}/rating", ticket_rating.rating, methods=["GET", "POST"]),
                Route("/halls/{hall}/tickets/{id}/cancel", ticket_cancel.cancel, methods=["POST"]),
                WebSocketRoute("/halls/{hall}/events", events.hall_events),
                *voice.routes(),
                # online booking (bookings.py, booking_admin.py)
                Route("/halls/{hall}/booking", bookings.overview, methods=["GET"]),
                Route("/halls/{hall}/slots", bookings.slots, methods=["GET"]),
                Route("/halls/{hall}/bookings", bookings.book, methods=["POST"]),
                Route("/halls/{hall}/bookings/lookup", bookings.lookup, methods=["POST"]),
                Route("/halls/{hall}/bookings/{code}", bookings.member, methods=["GET", "DELETE"]),
                Route("/halls/{hall}/bookings/{code}/check-in", bookings.check_in, methods=["POST"]),
                Route("/halls/{hall}/check-in", bookings.check_in, methods=["POST"]),
                Route("/halls/{hall}/blacklist", booking_admin.blacklist, methods=["GET"]),
                Route("/halls/{hall}/blacklist/lift", booking_admin.lift, methods=["POST"]),
                Route("/halls/{hall}/booking/notices", booking_admin.notices, methods=["GET"]),
                Route("/halls/{hall}/calendar", booking_admin.calendar, methods=["GET"]),
                Route("/halls/{hall}/calendar/{date}", booking_admin.set_day, methods=["PUT", "DELETE"]),
            ],
        ),
        Route("/book/{hall}", booking_page.page, methods=["GET"]),
        Route("/halls/{hall}/screen", screen.screen_page, methods=["GET"]),
        Route("/console/{hall}", console.console_page, methods=["GET"]),
        Route("/t/{hall}/{ticket}", ticket_status_page, methods=["GET"], name="ticket_page"),
        Route("/t/{hall}/{ticket}/qr.svg", ticket_qr_code, methods=["GET"]),
        Route("/kiosk/{hall}", kiosk_page, methods=["GET"]),
        Route("/dashboard/{hall}", dashboard_page, methods=["GET"]),
        Route("/reports/{hall}", reports_page, methods=["GET"]),
        *admin.routes(),
        Mount("/static", StaticFiles(directory=templating.STATIC), name="static"),
    ]


def create_app(
    services: Mapping[str, HallService],
    staff: Sequence[StaffAccountLike],
    secret: bytes,
    *,
    runtime: Runtime | None = None,
    token_ttl_seconds: float = DEFAULT_TTL_SECONDS,
    max_body_bytes: int = MAX_BODY_BYTES,
    login_throttle: LoginThrottle | None = None,
    subscriber_queue: int = 1000,
    bookings: Mapping[str, BookingDesk] | None = None,
) -> Starlette:
    """The API app for `services` (keyed by hall id) and `staff`, signing tokens with `secret`.

    `secret` (at least 16 bytes; 32 random bytes are right) must stay the same across
    restarts, or every issued token is void. `runtime`: see the module docstring.
    `bookings`: a `booking_desk.BookingDesk` per hall that takes online bookings.
    """
    for hall_id, service in services.items():
        if hall_id != service.id:
            raise ValueError(f"service for hall {service.id!r} is filed under {hall_id!r}")
    accounts: dict[str, StaffAccountLike] = {}
    for account in staff:
        if account.username in accounts:
            raise ValueError(f"staff username {account.username!r} is defined twice")
        accounts[account.username] = account
    state = WebState(
        services=dict(services),
        accounts=accounts,
        tokens=TokenSigner(secret, token_ttl_seconds),
        throttle=login_throttle or LoginThrottle(),
        max_body_bytes=max_body_bytes,
        subscriber_queue=subscriber_queue,
        ticket_keys=TicketKeys(secret),
        bookings=dict(bookings or {}),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if runtime is None:
            yield
            return
        async with runtime():
            yield

    app = Starlette(
        routes=routes(),
        middleware=[Middleware(CatchAll)],
        exception_handlers={QmsError: on_qms_error, HTTPException: on_http_error},
        lifespan=lifespan,
    )
    app.state.qms = state
    return app
