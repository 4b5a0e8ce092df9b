"""The bookable services of the booking rules page: which services citizens can book online,
the length of their slots and the places in each (the hall file's `[[booking.services]]`).

A change is kept with the other booking rules (`booking_rules.store_rules`: the admin store
with its audit row, then in force for the next booking). Bookings already made are kept as
they are: their check-in, cancelling and no-show do not depend on these rules. What would
leave them in the air is refused with the reason, while the service has open bookings (booked,
not yet checked in, cancelled or missed):

- taking the service off the list (set its places to 0 instead: no new bookings, the open
  ones are honoured; take it off once they are over);
- changing the slot length (the booked slots would no longer line up with the new ones, and
  their places would be counted twice).

Fewer places than are booked in a slot keep every booking of it; the slot takes no more.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from starlette.responses import Response

from qms.core.booking import BookableService, BookingRules, BookingState
from qms.core.errors import ConfigError
from qms.core.model import ID_PATTERN
from qms.service.booking import BookingService

from .booking_rules import store_rules
from .forms import Form, Refusal
from .gate import AdminRequest, admin_page, not_found

MODES = (
    ("capacity", "每个时段固定名额", "a fixed number of places per slot"),
    ("share", "按当日预计取号量的比例", "a share of the day's expected calls"),
)


def service_values(bookable: BookableService | None) -> dict[str, str]:
    """A bookable service as the form shows it."""
    if bookable is None:
        return {"service": "", "slot_minutes": "60", "mode": "capacity", "capacity": "", "share": "", "expected": ""}
    return {
        "service": bookable.service,
        "slot_minutes": str(bookable.slot_minutes),
        "mode": "share" if bookable.share is not None else "capacity",
        "capacity": "" if bookable.capacity is None else str(bookable.capacity),
        "share": "" if bookable.share is None else f"{bookable.share * 100:g}",
        "expected": "" if bookable.expected_daily is None else str(bookable.expected_daily),
    }


def read_service(
    admin: AdminRequest, form: Form, rules: BookingRules, old: BookableService | None
) -> BookingRules | None:
    """The rules with bookable service `old` changed as the form says (or one added), or None
    with the problems on the form."""
    config = admin.service.config
    if old is None:
        service_id = form.pattern("service", ID_PATTERN, "请从列表中选择", "choose one of the list")
        if service_id and config.service(service_id) is None:
            form.fail("service", "请选择本大厅的事项", "choose a service of this hall")
        elif rules.bookable(service_id) is not None:
            form.fail("service", "这个事项已可预约，请编辑它", "this service can be booked already: edit it")
    else:
        service_id = old.service
    slot_minutes = form.integer("slot_minutes", 5, 24 * 60)
    mode = form.choice("mode", [m for m, _, _ in MODES])
    capacity = share = expected = None
    if mode == "capacity":
        capacity = form.integer("capacity", 0, 10_000)
    elif mode == "share":
        percent = form.number("share", 0, 100, above=True)
        share = None if percent is None else percent / 100
        expected = form.integer("expected", 1, 100_000, optional=True)
        known = config.service(service_id)
        if expected is None and known is not None:
            expected = known.daily_cap
        if expected is None:
            form.fail(
                "expected",
                "这个事项没有每日取号上限，请填写预计每日取号量",
                "the service has no daily cap: give the expected calls a day",
            )
    if form.errors:
        return None
    assert slot_minutes is not None
    new = BookableService(service_id, slot_minutes, capacity, share, expected)
    services = (*rules.services, new) if old is None else tuple(new if s == old else s for s in rules.services)
    try:
        return replace(rules, services=services)
    except ConfigError as exc:
        form.fail("_layout", "这样的预约规则不成立", f"the rules would not hold: {exc.message}")
        return None


async def open_bookings(
    booking: BookingService, service_id: str, now: datetime, doing: tuple[str, str]
) -> Refusal | None:
    """Why `doing` (what is refused, 中文 and English) cannot be done while `service_id` has open
    bookings (`service_has_open_bookings`), or None when it has none."""
    ledger = await booking.committed()
    days = sorted(
        ledger.local(b.start).date().isoformat()
        for b in ledger.bookings.values()
        if b.service == service_id and b.state is BookingState.BOOKED and b.end > now
    )
    if not days:
        return None
    count, last = len(days), days[-1]
    message = (
        f"{doing[0]}：这个事项还有 {count} 个未到期的预约（最晚 {last}）。可先把名额设为 0 停止新预约，"
        f"已有预约照常签到；这些预约结束后再改。 · {doing[1]}: the service has {count} open booking(s) "
        f"(the last on {last}). Set its places to 0 to stop new bookings (the open ones check in as usual), "
        "and change this once they are over."
    )
    return Refusal(message, "service_has_open_bookings")


@admin_page
async def service_form(admin: AdminRequest) -> Response:
    """`GET|POST /admin/{hall}/booking/services/{service}` (`new` adds one)."""
    booking = admin.booking
    if booking is None:
        return not_found(admin, ("在线预约", "online booking"), "booking_disabled")
    rules = booking.rules
    service_id = admin.request.path_params["service"]
    old = None if service_id == "new" else rules.bookable(service_id)
    if service_id != "new" and old is None:
        what = (f"可预约事项「{service_id}」", f"bookable service {service_id!r}")
        return not_found(admin, what, "service_not_bookable")
    form = admin.form
    if form is None:
        return _page(admin, rules, old, service_values(old))
    values = form.posted()
    new = read_service(admin, form, rules, old)
    if new is None:
        return _page(admin, rules, old, values, status=422)
    if old is not None and new.bookable(old.service) == old:
        return admin.saved("/booking")  # nothing changed: nothing to store or audit
    changed = new.bookable(service_id) if old is not None else None
    if old is not None and changed is not None and changed.slot_minutes != old.slot_minutes:
        # the booked slots would no longer line up with the new ones
        doing = ("未保存，时段长度不能改", "Not saved, the slot length cannot change")
        refused = await open_bookings(booking, old.service, admin.service.now(), doing)
        if refused:
            return _page(admin, rules, old, values, status=409, refused=refused)
    await store_rules(admin, booking, rules, new)
    return admin.saved("/booking")


@admin_page
async def remove_service(admin: AdminRequest) -> Response:
    """`POST /admin/{hall}/booking/services/{service}/remove`: no more online booking of it."""
    booking = admin.booking
    old = None if booking is None else booking.rules.bookable(admin.request.path_params["service"])
    if booking is None or old is None:
        return not_found(admin, ("这个可预约事项", "such bookable service"), "service_not_bookable")
    rules = booking.rules
    refused = await open_bookings(booking, old.service, admin.service.now(), ("未删除", "Not removed"))
    if refused:
        return _page(admin, rules, old, service_values(old), status=409, refused=refused)
    if len(rules.services) == 1:
        refused = Refusal(
            "未删除：至少要保留一个可预约事项（可把名额设为 0 暂停预约） · "
            "Not removed: keep at least one bookable service (set its places to 0 to pause booking)",
            "last_bookable_service",
        )
        return _page(admin, rules, old, service_values(old), status=409, refused=refused)
    new = replace(rules, services=tuple(s for s in rules.services if s != old))
    await store_rules(admin, booking, rules, new)
    return admin.saved("/booking")


def _page(
    admin: AdminRequest,
    rules: BookingRules,
    old: BookableService | None,
    values: dict[str, str],
    *,
    status: int = 200,
    refused: Refusal | None = None,
) -> Response:
    config = admin.service.config
    choices = [s for s in config.services if rules.bookable(s.id) is None]
    context = {"bookable": old, "values": values, "choices": choices, "modes": MODES, "refused": refused}
    name = config.service(old.service) if old is not None else None
    return admin.render("booking_service.html", "booking", status, service_name=name.name if name else "", **context)
