"""The admin pages of a hall's layout: overview, services, windows, hours and policy.

A layout change goes to the hall as a `ChangeLayout` command (qms/core/layout.py): stored in
the hall's log with its audit rows, applied by the running hall at once, replayed after a
restart. A form with a problem is shown again with a message at each field and nothing
changed (422); a change the hall refuses, such as removing an open window, is shown again with
the hall's reason (409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from qms.core.model import HallConfig, ServiceConfig, WindowConfig, WindowState
from qms.storage.audit import KINDS

from . import layout_forms as lf
from .devices import devices_at_window
from .forms import Form, Refusal
from .gate import AdminRequest, admin_page, not_found

# the stable codes of the refusals of these pages, on the page as data-code
WINDOW_HAS_DEVICES = "window_has_devices"
SERVICE_BOOKABLE = "service_bookable"


@admin_page
async def overview(admin: AdminRequest) -> Response:
    """`GET /admin/{hall}`: the hall at a glance and the latest changes."""
    hall = await admin.service.committed()
    windows = hall.windows()
    context: dict[str, Any] = {
        "services": len(hall.config.services),
        "departments": len({s.department for s in hall.config.services if s.department}),
        "windows": windows,
        "open_windows": sum(1 for w in windows if w.state is not WindowState.CLOSED),
        "waiting": len(hall.line),
        "accounts": await admin.desk.store.account_count(),
        "recent": await admin.desk.store.audit(admin.service.id, limit=10),
    }
    return admin.render("overview.html", "", 200, **context)


# ---- services --------------------------------------------------------------------------


@admin_page
async def services(admin: AdminRequest) -> Response:
    """`GET /admin/{hall}/services`: every service, by department."""
    config = admin.service.config
    return admin.render("services.html", "services", services=config.services)


@admin_page
async def service_form(admin: AdminRequest) -> Response:
    """`GET|POST /admin/{hall}/services/{service}` (`new` adds one): edit a service."""
    config = admin.service.config
    service_id = admin.request.path_params["service"]
    old = None if service_id == "new" else config.service(service_id)
    if service_id != "new" and old is None:
        return not_found(admin, (f"编号为「{service_id}」的事项", f"service {service_id!r}"), "unknown_service")
    form = admin.form
    if form is None:
        return _service_page(admin, old, lf.service_values(old))
    return await _save(
        admin,
        lambda form: lf.read_service(form, config, old),
        lambda status, refused: _service_page(admin, old, form.posted(), status=status, refused=refused),
        "services",
    )


@admin_page
async def remove_service(admin: AdminRequest) -> Response:
    """`POST /admin/{hall}/services/{service}/remove`."""
    config = admin.service.config
    old = config.service(admin.request.path_params["service"])
    if old is None:
        return not_found(admin, ("这个事项", "such service"), "unknown_service")
    booking = admin.booking
    if booking is not None and booking.rules.bookable(old.id) is not None:
        refused = Refusal(
            "未删除：这个事项可以在线预约，请先在“预约规则”页把它从可预约事项中去掉 · "
            "Not removed: citizens can book this service; take it off the bookable services on the "
            "booking rules page first",
            SERVICE_BOOKABLE,
        )
        return _service_page(admin, old, lf.service_values(old), status=409, refused=refused)
    return await _remove(
        admin,
        lambda: lf.without_service(config, old.id),
        lambda problem: _service_page(admin, old, lf.service_values(old), status=409, refused=problem),
        "services",
    )


def _service_page(
    admin: AdminRequest,
    old: ServiceConfig | None,
    values: dict[str, str],
    *,
    status: int = 200,
    refused: Refusal | None = None,
) -> Response:
    others = [s for s in admin.service.config.services if old is None or s.id != old.id]
    return admin.render("service.html", "services", status, service=old, values=values, others=others, refused=refused)


async def _save(
    admin: AdminRequest,
    read: Callable[[Form], HallConfig | None],
    page: Callable[[int, Refusal | None], Response],
    part: str,
) -> Response:
    """Read the posted form into a new layout and submit it: the form again with its problems
    (422) or the hall's refusal (409), or on to the part's page, saved."""
    assert admin.form is not None
    layout = read(admin.form)
    if layout is None:
        return page(422, None)
    refused = await admin.change_layout(layout, part)
    if refused is not None:
        return page(409, refused)
    return admin.saved(f"/{part}")


async def _remove(
    admin: AdminRequest, without: Callable[[], HallConfig], page: Callable[[Refusal], Response], part: str
) -> Response:
    """Submit the layout without one service or window: its page again with the reason it
    cannot go (409: the layout would not hold, or the hall refused), or on to the part's page."""
    assert admin.form is not None
    layout = lf.build(admin.form, without)
    if layout is None:  # what is left would not hold together: said once, as the refusal
        refused: Refusal | None = Refusal(admin.form.errors.pop("_layout"), "invalid_config")
    else:
        refused = await admin.change_layout(layout, part)
    if refused is not None:
        return page(refused)
    return admin.saved(f"/{part}")


# ---- windows ---------------------------------------------------------------------------


@admin_page
async def windows(admin: AdminRequest) -> Response:
    """`GET /admin/{hall}/windows`: every window with its state and what it serves."""
    hall = await admin.service.committed()
    rows = []
    for config in hall.config.windows:
        serves = hall.weights[config.id]
        listed = ", ".join(f"{hall.services[s].name}×{w:g}" for s, w in config.weights)
        rows.append((config, hall.window(config.id), len(serves), listed))
    return admin.render("windows.html", "windows", rows=rows)


@admin_page
async def window_form(admin: AdminRequest) -> Response:
    """`GET|POST /admin/{hall}/windows/{window}` (`new` adds one): a window's services and weights."""
    config = admin.service.config
    window_id = admin.request.path_params["window"]
    old = next((w for w in config.windows if w.id == window_id), None)
    if window_id != "new" and old is None:
        return not_found(admin, (f"编号为「{window_id}」的窗口", f"window {window_id!r}"), "unknown_window")
    form = admin.form
    if form is None:
        return _window_page(admin, old, lf.window_values(old))
    return await _save(
        admin,
        lambda form: lf.read_window(form, config, old),
        lambda status, refused: _window_page(admin, old, form.posted(), status=status, refused=refused),
        "windows",
    )


@admin_page
async def remove_window(admin: AdminRequest) -> Response:
    """`POST /admin/{hall}/windows/{window}/remove`: only a closed window, and only one without
    devices (its LED bar, keypad and rating pad would act for a window the hall no longer has):
    refused with `window_has_devices`, naming them, and nothing changed."""
    async with admin.desk.registry_lock:  # no device is bound to it between the check and the removal
        config = admin.service.config
        old = next((w for w in config.windows if w.id == admin.request.path_params["window"]), None)
        if old is None:
            return not_found(admin, ("这个窗口", "such window"), "unknown_window")
        devices = devices_at_window(admin, old.id)
        if devices is not None:
            refused = Refusal(f"未删除：{devices[0]} · Not removed: {devices[1]}", WINDOW_HAS_DEVICES)
            return _window_page(admin, old, lf.window_values(old), status=409, refused=refused)
        return await _remove(
            admin,
            lambda: lf.without_window(config, old.id),
            lambda problem: _window_page(admin, old, lf.window_values(old), status=409, refused=problem),
            "windows",
        )


def _window_page(
    admin: AdminRequest,
    old: WindowConfig | None,
    values: dict[str, str],
    *,
    status: int = 200,
    refused: Refusal | None = None,
) -> Response:
    config = admin.service.config
    context = {"window": old, "values": values, "zones": config.zones(), "refused": refused}
    return admin.render("window.html", "windows", status, services=config.services, **context)


# ---- hours and policy ------------------------------------------------------------------


@admin_page
async def hours(admin: AdminRequest) -> Response:
    """`GET|POST /admin/{hall}/hours`: sessions per weekday (lunch break, Saturday service), cutoff."""
    config = admin.service.config

    def page(status: int = 200, refused: Refusal | None = None) -> Response:
        values = lf.hours_values(config) if admin.form is None else admin.form.posted()
        return admin.render("hours.html", "hours", status, values=values, weekdays=lf.WEEKDAYS, refused=refused)

    if admin.form is None:
        return page()
    return await _save(admin, lambda form: lf.read_hours(form, config), page, "hours")


@admin_page
async def policy(admin: AdminRequest) -> Response:
    """`GET|POST /admin/{hall}/policy`: how windows choose, recalls and no-shows, ratings."""
    config = admin.service.config
    classes = [(k.value, *lf.CLASS_NAMES[k]) for k in lf.CLASS_NAMES]

    def page(status: int = 200, refused: Refusal | None = None) -> Response:
        values = lf.policy_values(config) if admin.form is None else admin.form.posted()
        return admin.render("policy.html", "policy", status, values=values, classes=classes, refused=refused)

    if admin.form is None:
        return page()
    return await _save(admin, lambda form: lf.read_policy(form, config), page, "policy")


# ---- read-only pages -------------------------------------------------------------------


@admin_page
async def audit(admin: AdminRequest) -> Response:
    """`GET /admin/{hall}/audit?kind=`: who changed what, when, from what to what."""
    kind = admin.request.query_params.get("kind", "")
    entries = await admin.desk.store.audit(admin.service.id, kind if kind in KINDS else None)
    return admin.render("audit.html", "audit", entries=entries, kinds=KINDS, kind=kind)
