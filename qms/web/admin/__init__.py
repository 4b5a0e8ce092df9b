"""The admin pages (管理): a hall's services, windows, hours, policy, booking rules, staff
accounts and devices, with an audit log of every change. They need an admin's cookie session
(`session.py`); every form carries a CSRF token. See the README's pages section."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from qms.web.state import web_state

from . import bookable, booking_rules, devices, pages, session, staff
from .desk import AdminDesk

__all__ = ["AdminDesk", "routes"]


async def _home(request: Request) -> Response:
    """`GET /admin`: the first hall's admin pages (a server usually runs one hall)."""
    halls = sorted(web_state(request).services)
    return RedirectResponse(f"/admin/{halls[0]}" if halls else session.LOGIN_PATH, status_code=303)


def routes() -> list[BaseRoute]:
    """The admin routes; login and logout come before `/admin/{hall}`, which would match them."""
    page = ["GET"]
    form = ["GET", "POST"]
    post = ["POST"]
    return [
        Route("/admin", _home, methods=page),
        Route(session.LOGIN_PATH, session.login_page, methods=form),
        Route("/admin/logout", session.logout, methods=post),
        Route("/admin/{hall}", pages.overview, methods=page),
        Route("/admin/{hall}/services", pages.services, methods=page),
        Route("/admin/{hall}/services/{service}", pages.service_form, methods=form),
        Route("/admin/{hall}/services/{service}/remove", pages.remove_service, methods=post),
        Route("/admin/{hall}/windows", pages.windows, methods=page),
        Route("/admin/{hall}/windows/{window}", pages.window_form, methods=form),
        Route("/admin/{hall}/windows/{window}/remove", pages.remove_window, methods=post),
        Route("/admin/{hall}/hours", pages.hours, methods=form),
        Route("/admin/{hall}/policy", pages.policy, methods=form),
        Route("/admin/{hall}/booking", booking_rules.booking, methods=form),
        Route("/admin/{hall}/booking/services/{service}", bookable.service_form, methods=form),
        Route("/admin/{hall}/booking/services/{service}/remove", bookable.remove_service, methods=post),
        Route("/admin/{hall}/staff", staff.staff, methods=page),
        Route("/admin/{hall}/staff/{username}", staff.account_form, methods=form),
        Route("/admin/{hall}/staff/{username}/logout", staff.end_sessions, methods=post),
        Route("/admin/{hall}/devices", devices.devices, methods=page),
        Route("/admin/{hall}/devices/{device}", devices.device_form, methods=form),
        Route("/admin/{hall}/devices/{device}/remove", devices.remove_device, methods=post),
        Route("/admin/{hall}/devices/{device}/credential", devices.credential, methods=post),
        Route("/admin/{hall}/audit", pages.audit, methods=page),
    ]
