"""The booking rules page: the limits and credit rules of online booking (the hall file's
`[booking]`), changed while the hall runs.

The rules are kept in the admin store with their audit row (one transaction) and handed to the
booking actor, which makes its ledger anew over the same bookings before its next answer
(`BookingService._follow_layout`), so the next booking is judged by the new rules; at start
the saved rules win over the hall file's. Which services can be booked, and their slots, are
changed on the same page (`bookable.py`).
"""

from __future__ import annotations

from dataclasses import replace

from starlette.responses import Response

from qms.core.booking import BookingRules, LateCheckIn
from qms.core.errors import ConfigError
from qms.service.booking import BookingService

from .forms import Form
from .gate import AdminRequest, admin_page

# (field, 中文, English, lowest, highest)
LIMITS = (
    ("horizon_days", "可预约的工作日数", "Working days open for booking", 1, 60),
    ("lead_days", "最早可约（几天后）", "First bookable day (days ahead)", 0, 30),
    ("cancel_cutoff_minutes", "取消截止（开始前分钟）", "Cancel until (minutes before)", 0, 7 * 24 * 60),
    ("per_day", "每人每日", "Per person a day", 1, 100),
    ("per_week", "每人每周", "Per person a week", 1, 100),
    ("per_month", "每人每月", "Per person a month", 1, 500),
    ("per_service_day", "同一事项每日", "Same service a day", 1, 100),
    ("max_no_shows", "爽约次数上限", "No-shows allowed", 0, 100),
    ("no_show_days", "爽约统计天数", "No-shows counted over (days)", 1, 365),
    ("max_cancellations", "每月取消上限", "Cancellations allowed a month", 0, 100),
    ("blacklist_days", "黑名单天数", "Blacklist days", 1, 365),
)
LATE = (
    (LateCheckIn.ORDINARY.value, "迟到取普通号", "late: an ordinary ticket"),
    (LateCheckIn.REFUSE.value, "迟到不予签到", "late: no check-in"),
)


def rules_values(rules: BookingRules) -> dict[str, str]:
    values = {name: str(getattr(rules, name)) for name, *_ in LIMITS}
    values["late_check_in"] = rules.late_check_in.value
    return values


def read_rules(form: Form, rules: BookingRules) -> BookingRules | None:
    """The rules with the form's limits, or None with the problems on the form."""
    numbers = {name: form.integer(name, low, high) for name, _, _, low, high in LIMITS}
    late = form.choice("late_check_in", [value for value, _, _ in LATE])
    if form.errors:
        return None
    try:
        return replace(rules, late_check_in=LateCheckIn(late), **numbers)  # type: ignore[arg-type]
    except ConfigError as exc:
        form.fail("_layout", "这样的预约规则不成立", f"the rules would not hold: {exc.message}")
        return None


async def store_rules(admin: AdminRequest, booking: BookingService, old: BookingRules, rules: BookingRules) -> None:
    """Keep new booking rules with their audit row, then put them in force: the booking actor
    makes its ledger anew over the same bookings before its next answer."""
    now = admin.service.now()
    await admin.desk.store.save_booking_rules(admin.service.id, rules, old, admin.principal.username, now)
    booking.rules = rules


@admin_page
async def booking(admin: AdminRequest) -> Response:
    """`GET|POST /admin/{hall}/booking`: the booking rules in force, and a form to change them."""
    service = admin.booking
    if service is None:
        return admin.render("booking.html", "booking", rules=None)
    old = service.rules
    values = rules_values(old)
    status = 200
    if admin.form is not None:
        values = admin.form.posted()
        rules = read_rules(admin.form, old)
        if rules is None:
            status = 422
        elif rules == old:
            return admin.saved("/booking")  # nothing changed: nothing to store or audit
        else:
            await store_rules(admin, service, old, rules)
            return admin.saved("/booking")
    context = {"rules": old, "values": values, "limits": LIMITS, "late": LATE}
    return admin.render("booking.html", "booking", status, **context)
