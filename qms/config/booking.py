"""Readers for online booking in a hall file: `[booking]`, `[[booking.services]]`,
`[[booking.neighbours]]`, and the hall's place (`[hall] city`, `district`, `location`).

A hall without `[booking]` takes no bookings. Every key is documented in
`examples/qingyuan.toml`; errors name the key path like the rest of the hall file.
"""

from __future__ import annotations

import json
import re

from ..core.booking import BookableService, BookingRules, LateCheckIn
from ..core.errors import ConfigError
from ..core.model import ServiceConfig
from ..core.nearby import HallSite, NeighbourHall
from .reader import TEXT, Kind, Misfit, Table, choice, integer, number, pattern
from .sections import ID

BOOKING_KEYS = (
    "horizon_days", "lead_days", "cancel_cutoff_minutes", "late_check_in", "per_day", "per_week", "per_month",
    "per_service_day", "max_no_shows", "no_show_days", "max_cancellations", "blacklist_days", "services",
    "neighbours",
)  # fmt: skip
URL = pattern(re.compile(r"https?://[^\s\"'<>]+"), 'an http(s) address such as "https://example.gov.cn/booking"')


def _read_location(value: object) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise Misfit
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise Misfit
    lat, lon = value
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Misfit
    return float(lat), float(lon)


LOCATION = Kind("[latitude, longitude] in degrees, such as [23.1291, 113.2644]", _read_location)


def parse_site(h: Table) -> HallSite:
    """The place keys of `[hall]` (or of a neighbour entry)."""
    lat = lon = None
    if h.has("location"):
        lat, lon = h.get("location", LOCATION)
    return HallSite(h.get("city", TEXT, ""), h.get("district", TEXT, ""), lat, lon)


def parse_booking(
    root: Table, services: tuple[ServiceConfig, ...]
) -> tuple[BookingRules | None, tuple[NeighbourHall, ...]]:
    """`[booking]` into BookingRules (None when absent) and the neighbour halls."""
    if not root.has("booking"):
        return None, ()
    t = root.table("booking")
    t.only(*BOOKING_KEYS)
    d = BookingRules()
    known = {s.id: s for s in services}
    bookable: list[BookableService] = []
    for s in t.tables("services", required=True):
        s.only("service", "slot_minutes", "capacity", "share", "expected_daily")
        sid = s.get("service", ID)
        if sid not in known:
            raise s.node("service").misfit("the id of a service of this hall")
        s = s.with_context(f"service {json.dumps(sid)}")
        if s.has("capacity") == s.has("share"):
            raise s.error("give capacity (places per slot) or share (of the day's expected calls), exactly one")
        expected = s.get("expected_daily", integer(1), known[sid].daily_cap)
        share = s.get("share", number(positive=True), None)
        if share is not None and share > 1:
            raise s.node("share").misfit("a share such as 0.28, greater than 0 and at most 1")
        if share is not None and expected is None:
            raise s.error("share needs expected_daily (or a daily_cap on the service)", "expected_daily")
        bookable.append(
            BookableService(
                service=sid,
                slot_minutes=s.get("slot_minutes", integer(5, 24 * 60), 60),
                capacity=s.get("capacity", integer(0), None),
                share=share,
                expected_daily=expected,
            )
        )
    if not bookable:
        raise t.error("empty; expected at least one [[booking.services]] entry", "services")
    values = {
        "horizon_days": t.get("horizon_days", integer(1, 60), d.horizon_days),
        "lead_days": t.get("lead_days", integer(0, 30), d.lead_days),
        "cancel_cutoff_minutes": t.get("cancel_cutoff_minutes", integer(0, 7 * 24 * 60), d.cancel_cutoff_minutes),
        "per_day": t.get("per_day", integer(1), d.per_day),
        "per_week": t.get("per_week", integer(1), d.per_week),
        "per_month": t.get("per_month", integer(1), d.per_month),
        "per_service_day": t.get("per_service_day", integer(1), d.per_service_day),
        "max_no_shows": t.get("max_no_shows", integer(0), d.max_no_shows),
        "no_show_days": t.get("no_show_days", integer(1, 366), d.no_show_days),
        "max_cancellations": t.get("max_cancellations", integer(0), d.max_cancellations),
        "blacklist_days": t.get("blacklist_days", integer(1, 3660), d.blacklist_days),
    }
    late = t.get("late_check_in", choice(LateCheckIn), d.late_check_in)
    try:
        rules = BookingRules(services=tuple(bookable), late_check_in=late, **values)
    except ConfigError as exc:  # cross-key checks of BookingRules, for anything not caught above
        raise t.error(exc.message) from None
    neighbours: list[NeighbourHall] = []
    for n in t.tables("neighbours"):
        n.only("id", "name", "city", "district", "location", "url", "services")
        services_of = tuple(
            item.read(ID) for item in n.node("services").items('an array of service ids such as ["social-insurance"]')
        )
        neighbours.append(
            NeighbourHall(n.get("id", ID), n.get("name", TEXT), parse_site(n), services_of, n.get("url", URL))
        )
    return rules, tuple(neighbours)
