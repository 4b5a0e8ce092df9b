"""The layout forms: a service, a window, the hours, the policy, read into a new `HallConfig`.

Each reader takes the posted form and the layout as it stands and returns the new layout, or
None with the problems recorded per field on the form. What the hall file has but a form does
not show (a service's time bands, dated exceptions to the hours) is carried over unchanged.
`HallConfig` checks the whole layout once more (`validate_hall`): what it refuses becomes a
message on the form too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import time

from qms.core.errors import ConfigError
from qms.core.model import (
    ID_PATTERN,
    PREFIX_PATTERN,
    CallingConfig,
    DayHours,
    HallConfig,
    PolicyConfig,
    PriorityClass,
    Reactivation,
    ServiceConfig,
    WindowConfig,
    WindowKind,
)

from .forms import Form

WEEKDAYS = (
    ("周一", "Monday"),
    ("周二", "Tuesday"),
    ("周三", "Wednesday"),
    ("周四", "Thursday"),
    ("周五", "Friday"),
    ("周六", "Saturday"),
    ("周日", "Sunday"),
)
CLASS_NAMES = {
    PriorityClass.GREEN: ("绿色通道", "green channel"),
    PriorityClass.BOOKING: ("预约", "booking"),
    PriorityClass.ELDERLY: ("老弱病残孕", "elderly, disabled, pregnant"),
    PriorityClass.NORMAL: ("普通", "normal"),
}
_ID_HINT = ("小写字母、数字和“-”", "lower-case letters, digits and '-'")
_PREFIX_HINT = ("1–2 个大写字母，如 A", "1-2 capital letters such as A")


def build(form: Form, make: Callable[[], HallConfig]) -> HallConfig | None:
    """`make()` if the form has no problems; a ConfigError of the whole layout becomes a
    problem of the form (under the key "_layout")."""
    if form.errors:
        return None
    try:
        return make()
    except ConfigError as exc:
        form.fail("_layout", "这样修改后大厅配置不成立", f"the layout would not hold: {exc.message}")
        return None


# ---- services --------------------------------------------------------------------------


def service_values(service: ServiceConfig | None) -> dict[str, str]:
    """A service as the form shows it."""
    if service is None:
        return {"id": "", "name": "", "name_en": "", "prefix": "", "department": "", "daily_cap": "",
                "handling_minutes": "10", "general": "on", "next_step": ""}  # fmt: skip
    return {
        "id": service.id,
        "name": service.name,
        "name_en": service.name_en,
        "prefix": service.prefix,
        "department": service.department,
        "daily_cap": "" if service.daily_cap is None else str(service.daily_cap),
        "handling_minutes": f"{service.handling_minutes:g}",
        "general": "on" if service.general else "",
        "next_step": service.next_step or "",
    }


def read_service(form: Form, config: HallConfig, old: ServiceConfig | None) -> HallConfig | None:
    """The layout with service `old` changed as the form says (or a new one added)."""
    service_id = old.id if old is not None else form.pattern("id", ID_PATTERN, *_ID_HINT)
    if old is None and config.service(service_id) is not None:
        form.fail("id", "已有这个编号的事项", "a service with this id exists")
    prefix = form.pattern("prefix", PREFIX_PATTERN, *_PREFIX_HINT)  # services of one queue share a prefix
    next_step = form.raw("next_step") or None
    if next_step is not None and (config.service(next_step) is None or next_step == service_id):
        form.fail("next_step", "请选择本大厅的另一事项", "choose another service of this hall")
    name = form.text("name")
    name_en = form.text("name_en", required=False)
    department = form.text("department", required=False)
    cap = form.integer("daily_cap", 1, 100_000, optional=True)
    minutes = form.number("handling_minutes", 0, 600, above=True)
    general = form.checked("general")

    def make() -> HallConfig:
        assert minutes is not None
        new = ServiceConfig(
            id=service_id,
            name=name,
            prefix=prefix,
            department=department,
            name_en=name_en,
            daily_cap=cap,
            handling_minutes=minutes,
            bands=old.bands if old is not None else (),
            general=general,
            escalation=old.escalation if old is not None else False,
            next_step=next_step,
        )
        if old is None:
            return replace(config, services=(*config.services, new))
        return replace(config, services=tuple(new if s.id == old.id else s for s in config.services))

    return build(form, make)


def without_service(config: HallConfig, service_id: str) -> HallConfig:
    """The layout without a service (and without it in any window's list); ConfigError if
    that does not hold (e.g. a specialized window would serve nothing)."""
    windows = tuple(replace(w, weights=tuple((s, x) for s, x in w.weights if s != service_id)) for w in config.windows)
    services = tuple(s for s in config.services if s.id != service_id)
    return replace(config, services=services, windows=windows)


# ---- windows ---------------------------------------------------------------------------


def window_values(window: WindowConfig | None) -> dict[str, str]:
    """A window as the form shows it; its services as `serve:<id>` and `weight:<id>`."""
    if window is None:
        return {"id": "", "number": "", "name": "", "kind": "general", "zone": "main"}
    values = {
        "id": window.id,
        "number": str(window.number),
        "name": window.name,
        "kind": window.kind.value,
        "zone": window.zone,
    }
    for service_id, weight in window.weights:
        values[f"serve:{service_id}"] = "on"
        values[f"weight:{service_id}"] = f"{weight:g}"
    return values


def read_window(form: Form, config: HallConfig, old: WindowConfig | None) -> HallConfig | None:
    """The layout with window `old` changed as the form says (or a new one added).

    A service is listed when its box is ticked; its weight (default 1) tilts the window
    towards it. A specialized window serves exactly the ticked services; a general window
    serves every general service, the ticked ones with their weights.
    """
    window_id = old.id if old is not None else form.pattern("id", ID_PATTERN, *_ID_HINT)
    if old is None and any(w.id == window_id for w in config.windows):
        form.fail("id", "已有这个编号的窗口", "a window with this id exists")
    number = form.integer("number", 1, 9999)
    if number is not None and any(w.number == number and w.id != window_id for w in config.windows):
        form.fail("number", "这个窗口号已被使用", "this window number is taken")
    name = form.text("name", required=False)
    kind = form.choice("kind", [k.value for k in WindowKind])
    # a zone has its screens and speakers set up in the hall file: choose one of those
    zone = form.choice("zone", config.zones())
    weights: list[tuple[str, float]] = []
    ticked = [s for s in config.services if form.checked(f"serve:{s.id}")]
    for service in ticked:
        field = f"weight:{service.id}"
        if not form.raw(field):
            weights.append((service.id, 1.0))
            continue
        weight = form.number(field, 0, 100, above=True)
        if weight is not None:
            weights.append((service.id, weight))
    if kind == WindowKind.SPECIALIZED and not ticked:
        form.fail("services", "专窗至少要办理一个事项", "a specialized window serves at least one service")

    def make() -> HallConfig:
        assert number is not None
        new = WindowConfig(
            id=window_id,
            number=number,
            kind=WindowKind(kind),
            name=name,
            weights=tuple(weights),
            zone=zone,
            floor=_floor(config, zone, old),
        )
        if old is None:
            return replace(config, windows=(*config.windows, new))
        return replace(config, windows=tuple(new if w.id == old.id else w for w in config.windows))

    return build(form, make)


def _floor(config: HallConfig, zone: str, old: WindowConfig | None) -> int | None:
    """The floor of a window in `zone` (the form does not ask): its own while it stays in its
    zone; else the floor that zone's windows share, so that the zone's screen still heads its
    windows with their floor (1楼 · 1–24号窗口) after one is added."""
    if old is not None and old.zone == zone:
        return old.floor
    floors = {w.floor for w in config.windows if w.zone == zone and (old is None or w.id != old.id)}
    return floors.pop() if len(floors) == 1 else None


def without_window(config: HallConfig, window_id: str) -> HallConfig:
    return replace(config, windows=tuple(w for w in config.windows if w.id != window_id))


# ---- hours -----------------------------------------------------------------------------


def _sessions_text(sessions: tuple[tuple[time, time], ...]) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in sessions)


def hours_values(config: HallConfig) -> dict[str, str]:
    values = {f"day{i}": _sessions_text(day.sessions) for i, day in enumerate(config.hours.weekly)}
    values["issue_cutoff_minutes"] = str(config.hours.issue_cutoff_minutes)
    return values


def read_hours(form: Form, config: HallConfig) -> HallConfig | None:
    """Opening sessions per weekday (a lunch break is the gap between two sessions, Saturday
    service is Saturday's line) and the issuing cutoff; dated exceptions stay as they are."""
    weekly = tuple(DayHours(form.sessions(f"day{i}")) for i in range(7))
    cutoff = form.integer("issue_cutoff_minutes", 0, 600)

    def make() -> HallConfig:
        assert cutoff is not None
        return replace(config, hours=replace(config.hours, weekly=weekly, issue_cutoff_minutes=cutoff))

    return build(form, make)


# ---- policy ----------------------------------------------------------------------------


def policy_values(config: HallConfig) -> dict[str, str]:
    p, c = config.policy, config.calling
    values = {f"rate:{k.value}": f"{p.rate(k):g}" for k in PriorityClass}
    values.update(
        starvation_minutes=f"{p.starvation_minutes:g}",
        priority_run="" if p.priority_run is None else str(p.priority_run),
        normal_run=str(p.normal_run),
        booking_early_minutes=f"{p.booking_early_minutes:g}",
        booking_late_minutes=f"{p.booking_late_minutes:g}",
        elderly_age=str(p.elderly_age),
        reactivation=p.reactivation.value,
        recall_cooldown_seconds=f"{c.recall_cooldown_seconds:g}",
        max_calls=str(c.max_calls),
        auto_recall_seconds="" if c.auto_recall_seconds is None else f"{c.auto_recall_seconds:g}",
        no_show_after_seconds=f"{c.no_show_after_seconds:g}",
        rating_minutes=f"{config.rating_minutes:g}",
    )
    return values


def read_policy(form: Form, config: HallConfig) -> HallConfig | None:
    """The policy (how windows choose), the calling rules and the rating window."""
    rates = tuple((k, form.number(f"rate:{k.value}", 0, 1_000_000, above=True)) for k in PriorityClass)
    starvation = form.number("starvation_minutes", 0, 24 * 60, above=True)
    priority_run = form.integer("priority_run", 1, 100, optional=True)
    normal_run = form.integer("normal_run", 1, 100)
    early = form.number("booking_early_minutes", 0, 24 * 60)
    late = form.number("booking_late_minutes", 0, 24 * 60)
    elderly_age = form.integer("elderly_age", 0, 150)
    reactivation = form.choice("reactivation", [r.value for r in Reactivation])
    cooldown = form.number("recall_cooldown_seconds", 0, 3600)
    max_calls = form.integer("max_calls", 1, 20)
    auto_recall = form.number("auto_recall_seconds", 0, 3600, optional=True, above=True)
    no_show_after = form.number("no_show_after_seconds", 0, 3600)
    rating_minutes = form.number("rating_minutes", 0, 24 * 60, above=True)

    def make() -> HallConfig:
        assert starvation is not None and normal_run is not None and early is not None and late is not None
        assert elderly_age is not None and cooldown is not None and max_calls is not None
        assert no_show_after is not None and rating_minutes is not None
        policy = PolicyConfig(
            class_rates=tuple((k, r) for k, r in rates if r is not None),
            starvation_minutes=starvation,
            priority_run=priority_run,
            normal_run=normal_run,
            booking_early_minutes=early,
            booking_late_minutes=late,
            elderly_age=elderly_age,
            reactivation=Reactivation(reactivation),
        )
        calling = CallingConfig(cooldown, max_calls, auto_recall, no_show_after)
        return replace(config, policy=policy, calling=calling, rating_minutes=rating_minutes)

    return build(form, make)
