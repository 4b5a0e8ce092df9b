"""The way into every admin page: the hall, the session, the admin role, the CSRF token.

`admin_page` wraps a handler so that it only runs for an admin with a valid session: no
session goes to the login page (and comes back afterwards), a staff account without the admin
role gets a 403 page, a POST without the session's CSRF token gets a 403 page, and an unknown
hall a 404 page; in none of these cases does anything change. The handler gets an `AdminRequest`
with the hall's service, who is acting, the posted form, and `render` for the shared layout.

Every refusal carries a stable code on the page as `data-code` (the API's code where the API
has one), for tests and scripts: a form's problems `invalid_input` (or `invalid_config` when
only the layout as a whole would not hold), a change refused as a `Refusal` with its own code
(the hall's, for a layout change), and the error pages theirs (`unknown_hall`, `admin_only`,
`invalid_csrf_token`, `unknown_window` ...).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from qms.core.commands import ChangeLayout
from qms.core.errors import QmsError
from qms.core.model import HallConfig
from qms.service import HallService
from qms.service.booking import BookingService
from qms.web.auth import Principal
from qms.web.state import web_state
from qms.web.templating import error_page, no_hall_page, templates

from .audit_view import change_lines
from .desk import AdminDesk, admin_desk
from .forms import Form, Refusal, read_form
from .session import csrf_ok, csrf_refused, csrf_token, not_admin, session_principal, to_login

NAV = (
    ("", "概览", "Overview"),
    ("services", "事项", "Services"),
    ("windows", "窗口", "Windows"),
    ("hours", "营业时间", "Hours"),
    ("policy", "叫号规则", "Policy"),
    ("booking", "预约规则", "Booking"),
    ("staff", "工作人员", "Staff"),
    ("devices", "设备", "Devices"),
    ("audit", "审计日志", "Audit log"),
)


@dataclass(slots=True)
class AdminRequest:
    """One admin page request that passed the gate."""

    request: Request
    principal: Principal
    service: HallService
    desk: AdminDesk
    form: Form | None  # the posted form (CSRF checked), None for GET

    @property
    def base(self) -> str:
        return f"/admin/{self.service.id}"

    @property
    def booking(self) -> BookingService | None:
        """The hall's booking actor, when it takes online bookings."""
        desk = web_state(self.request).bookings.get(self.service.id)
        return None if desk is None else desk.service

    def render(self, template: str, section: str, status: int = 200, **context: Any) -> Response:
        """The page `template` in the admin layout, with section `section` lit in the menu."""
        config = self.service.config
        context.setdefault("errors", self.form.errors if self.form is not None else {})
        context.update(
            hall=config,
            base=self.base,
            nav=NAV,
            section=section,
            user=self.principal,
            csrf=csrf_token(self.request),
            saved=self.request.query_params.get("saved") == "1",
            audit_lines=change_lines,  # the audit table's before -> after, field by field
        )
        return templates.TemplateResponse(self.request, f"admin/{template}", context, status_code=status)

    def saved(self, path: str = "") -> Response:
        """After a change: back to a page (Post/Redirect/Get) that says it was saved."""
        return RedirectResponse(f"{self.base}{path}?saved=1", status_code=303)

    async def change_layout(self, layout: HallConfig, part: str) -> Refusal | None:
        """Submit a new layout to the hall; the hall's refusal with its code, or None when stored."""
        actor = self.principal.username
        try:
            await self.service.submit(ChangeLayout(layout, part, actor), actor=actor)
        except QmsError as exc:
            return Refusal(f"未保存，大厅拒绝了这次修改 · Not saved, the hall refused it: {exc.message}", exc.code)
        return None


Handler = Callable[[AdminRequest], Awaitable[Response]]


def admin_page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that runs `handler` behind the gate (see the module docstring)."""

    async def endpoint(request: Request) -> Response:
        principal = session_principal(request)
        if principal is None:
            return to_login(request)
        if not principal.is_admin:
            return not_admin(request, principal)
        form = None
        if request.method == "POST":
            form = await read_form(request)
            if not csrf_ok(request, form):
                return csrf_refused(request)
        hall_id = request.path_params.get("hall", "")
        service = web_state(request).services.get(hall_id)
        desk = admin_desk(request)
        if service is None or desk is None:
            return no_hall_page(request, hall_id, ("管理页", "admin page"), look="admin")
        return await handler(AdminRequest(request, principal, service, desk, form))

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def not_found(admin: AdminRequest, what: tuple[str, str], code: str) -> Response:
    """A 404 page for a service, window or account the hall does not have; `code` says which
    (`unknown_service`, ...)."""
    return error_page(
        admin.request,
        404,
        ("找不到", "Not found"),
        (f"本大厅没有{what[0]}。", f"This hall has no {what[1]}."),
        look="admin",
        code=code,
    )
