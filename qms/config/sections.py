"""Readers for the sections of a hall file: [hours], [policy], [calling], [[services]], [[windows]].

Each reader refuses unknown keys, reads every value with its key path and checks what can
be pinned to one key (a session that ends before it starts, a window listing an unknown
service), so the message points at the line to fix. `HallConfig.__post_init__` checks the
whole again; its messages are the fallback for anything not caught here.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, time, timedelta

from ..core.model import (
    ID_PATTERN,
    PREFIX_PATTERN,
    CallingConfig,
    DayHours,
    Hours,
    IssueBand,
    PolicyConfig,
    PriorityClass,
    Reactivation,
    ServiceConfig,
    WindowConfig,
    WindowKind,
)
from .reader import BOOL, DATE, TEXT, TIME, Node, Table, choice, integer, number, or_false, pattern

ID = pattern(ID_PATTERN, 'an id of lower-case letters, digits and "-", such as "tax-filing"')
PREFIX = pattern(PREFIX_PATTERN, 'a ticket prefix of 1 or 2 capital letters, such as "A" or "BX"')
ID_PREFIX = pattern(re.compile(r"[a-z0-9][a-z0-9-]*"), 'the start of window ids, such as "w" or "floor2-"')
WINDOW_RANGE = pattern(re.compile(r"[1-9]\d*-[1-9]\d*"), 'a range of window numbers such as "1-40"')

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORKDAYS = DAYS[:5]
MAX_RANGE = 1000  # windows in one `numbers` entry; more is surely a typo (Jieyang has 91 in all)
MAX_SPECIAL_SPAN = 366  # a longer `date`..`until` span is surely a typo in a year


# -- [hours] ---------------------------------------------------------------------------------


def _sessions(node: Node) -> DayHours:
    """A day's sessions: `[["09:00", "12:00"], ["13:30", "17:00"]]`, in order, not overlapping."""
    sessions: list[tuple[time, time]] = []
    for item in node.items('an array of sessions such as [["09:00", "12:00"], ["13:30", "17:00"]]'):
        pair = item.items('a session [start, end] such as ["09:00", "12:00"]')
        if len(pair) != 2:
            raise item.misfit('a session of two times [start, end] such as ["09:00", "12:00"]')
        start, end = pair[0].read(TIME), pair[1].read(TIME)
        if end <= start:
            raise item.error(f"the session ends at {end:%H:%M}, not after it starts at {start:%H:%M}")
        if sessions and start < sessions[-1][1]:
            raise item.error(
                f"the session starting at {start:%H:%M} overlaps or precedes the one before it; "
                "expected sessions in the order of the day"
            )
        sessions.append((start, end))
    return DayHours(tuple(sessions))


def parse_hours(t: Table) -> Hours:
    """[hours]: sessions per weekday (`weekdays` sets Monday-Friday, a named day overrides it),
    `issue_cutoff_minutes`, and `[[hours.special]]` dated exceptions."""
    t.only("weekdays", *DAYS, "issue_cutoff_minutes", "special")
    named: dict[str, DayHours] = {}
    if t.has("weekdays"):
        named["weekdays"] = _sessions(t.node("weekdays"))
        named.update(dict.fromkeys(WORKDAYS, named["weekdays"]))
    for day in DAYS:
        if t.has(day):
            named[day] = _sessions(t.node(day))
    weekly = tuple(named.get(day, DayHours()) for day in DAYS)
    if not any(d.is_open_day for d in weekly):
        raise t.error('no open day; expected sessions for "weekdays" or some of ' + ", ".join(DAYS))
    cutoff = t.get("issue_cutoff_minutes", integer(0, 24 * 60), 0)

    special: list[tuple[date, DayHours]] = []
    given_by: dict[date, str] = {}
    for entry in t.tables("special"):
        entry.only("date", "until", "sessions")
        first = entry.get("date", DATE)
        last = entry.get("until", DATE, first)
        if not first <= last <= first + timedelta(days=MAX_SPECIAL_SPAN):
            raise entry.node("until").error(
                f"got {last}; expected a date from {first} (the entry's date) to at most a year later"
            )
        hours = _special_sessions(entry.node("sessions"), named)
        on = first
        while on <= last:
            if on in given_by:
                raise entry.error(f"{on} is already given by {given_by[on]}; expected each date once", "date")
            given_by[on] = entry.path
            special.append((on, hours))
            on += timedelta(days=1)
    return Hours(weekly=weekly, special=tuple(special), issue_cutoff_minutes=cutoff)


def _special_sessions(node: Node, named: dict[str, DayHours]) -> DayHours:
    # A 调休 make-up day works "like a weekday": naming a day of [hours] saves repeating it.
    if isinstance(node.value, str):
        if node.value not in named:
            raise node.misfit("sessions such as [] (closed) or the name of a day given in [hours]: " + ", ".join(named))
        return named[node.value]
    return _sessions(node)


# -- [policy] and [calling] ------------------------------------------------------------------


def parse_policy(t: Table) -> PolicyConfig:
    """[policy]: absent keys keep PolicyConfig's defaults; `class_rates` may give only some classes."""
    t.only(
        "class_rates",
        "starvation_minutes",
        "priority_run",
        "normal_run",
        "booking_early_minutes",
        "booking_late_minutes",
        "elderly_age",
        "reactivation",
    )
    d = PolicyConfig()
    rates = dict(d.class_rates)
    rates_table = t.table("class_rates")
    rates_table.only(*(k.value for k in PriorityClass))
    for klass in PriorityClass:
        rates[klass] = rates_table.get(klass.value, number(positive=True), rates.get(klass, 1.0))
    return PolicyConfig(
        class_rates=tuple((k, rates[k]) for k in PriorityClass),
        starvation_minutes=t.get("starvation_minutes", number(positive=True), d.starvation_minutes),
        # false (not 0) turns ratio interleaving off, so a 0 typed by mistake is refused.
        priority_run=t.get("priority_run", or_false(integer(1)), d.priority_run),
        normal_run=t.get("normal_run", integer(1), d.normal_run),
        booking_early_minutes=t.get("booking_early_minutes", number(), d.booking_early_minutes),
        booking_late_minutes=t.get("booking_late_minutes", number(), d.booking_late_minutes),
        elderly_age=t.get("elderly_age", integer(0, 150), d.elderly_age),
        reactivation=t.get("reactivation", choice(Reactivation), d.reactivation),
    )


def parse_calling(t: Table) -> CallingConfig:
    """[calling]: recall and no-show timings; `auto_recall_seconds = false` leaves recalls to staff."""
    t.only("recall_cooldown_seconds", "max_calls", "auto_recall_seconds", "no_show_after_seconds")
    d = CallingConfig()
    return CallingConfig(
        recall_cooldown_seconds=t.get("recall_cooldown_seconds", number(), d.recall_cooldown_seconds),
        max_calls=t.get("max_calls", integer(1), d.max_calls),
        auto_recall_seconds=t.get("auto_recall_seconds", or_false(number(positive=True)), d.auto_recall_seconds),
        no_show_after_seconds=t.get("no_show_after_seconds", number(), d.no_show_after_seconds),
    )


# -- [[services]] ----------------------------------------------------------------------------

SERVICE_KEYS = (
    "id",
    "name",
    "name_en",
    "department",
    "prefix",
    "daily_cap",
    "handling_minutes",
    "general",
    "escalation",
    "next_step",
    "bands",
)


def parse_services(root: Table) -> tuple[ServiceConfig, ...]:
    """[[services]] entries, with ids unique and every `next_step` naming one of them."""
    entries = _entries(root, "services")
    services: list[ServiceConfig] = []
    tables: list[Table] = []
    index: dict[str, str] = {}
    for t in entries:
        t.only(*SERVICE_KEYS)
        sid = t.get("id", ID)
        if sid in index:
            raise t.error(f"{json.dumps(sid)} is already the id of {index[sid]}; expected unique ids", "id")
        index[sid] = t.path
        t = t.with_context(f"service {json.dumps(sid)}")
        tables.append(t)
        d = ServiceConfig(sid, "", "A")
        services.append(
            ServiceConfig(
                id=sid,
                name=t.get("name", TEXT),
                prefix=t.get("prefix", PREFIX),
                department=t.get("department", TEXT, d.department),
                name_en=t.get("name_en", TEXT, d.name_en),
                daily_cap=t.get("daily_cap", integer(1), d.daily_cap),
                handling_minutes=t.get("handling_minutes", number(positive=True), d.handling_minutes),
                bands=_bands(t.tables("bands")),
                general=t.get("general", BOOL, d.general),
                escalation=t.get("escalation", BOOL, d.escalation),
                next_step=t.get("next_step", ID, d.next_step),
            )
        )
    for t, s in zip(tables, services, strict=True):
        if s.next_step is not None and s.next_step not in index:
            raise t.node("next_step").misfit("the id of a service of this hall")
    return tuple(services)


def _bands(entries: list[Table]) -> tuple[IssueBand, ...]:
    bands: list[IssueBand] = []
    for t in entries:
        t.only("start", "end", "quota")
        band = IssueBand(start=t.get("start", TIME), end=t.get("end", TIME), quota=t.get("quota", integer(0)))
        if band.end <= band.start:
            raise t.error(f"the band ends at {band.end:%H:%M}, not after it starts at {band.start:%H:%M}", "end")
        if bands and band.start < bands[-1].end:
            raise t.error("overlaps or precedes the band before it; expected bands in the order of the day", "start")
        bands.append(band)
    return tuple(bands)


def _entries(root: Table, name: str) -> list[Table]:
    entries = root.tables(name, required=True)
    if not entries:
        raise root.error(f"empty; expected at least one [[{name}]] entry", name)
    return entries


# -- [[windows]] -----------------------------------------------------------------------------

WINDOW_KEYS = ("id", "number", "numbers", "id_prefix", "name", "kind", "zone", "floor", "services")


def parse_windows(root: Table, services: tuple[ServiceConfig, ...]) -> tuple[WindowConfig, ...]:
    """[[windows]] entries; an entry with `numbers = "1-40"` stands for forty alike windows,
    with ids `w1`..`w40` (or `id_prefix` + number) and `{n}` in `name` replaced by the number."""
    known = {s.id for s in services}
    windows: list[WindowConfig] = []
    id_by: dict[str, str] = {}
    number_by: dict[int, str] = {}
    for t in _entries(root, "windows"):
        t.only(*WINDOW_KEYS)
        numbers, ids = _window_numbers(t)
        if len(numbers) == 1:
            t = t.with_context(f"window {json.dumps(ids[0])}")
        else:
            t = t.with_context(f"windows {json.dumps(ids[0])} to {json.dumps(ids[-1])}")
        kind = t.get("kind", choice(WindowKind))
        weights = _weights(t, known)
        if kind is WindowKind.SPECIALIZED and not weights:
            raise t.error("missing or empty; a specialized window must list the services it serves", "services")
        template = WindowConfig(
            id="",
            number=0,
            kind=kind,
            name=t.get("name", TEXT, ""),
            weights=weights,
            zone=t.get("zone", ID, "main"),
            floor=t.get("floor", integer(), None),
        )
        key = "numbers" if t.has("numbers") else "number"
        for n, wid in zip(numbers, ids, strict=True):
            if n in number_by:
                raise t.error(f"window number {n} is already used by {number_by[n]}", key)
            if wid in id_by:
                id_key = "id" if t.has("id") else key
                raise t.error(f"window id {json.dumps(wid)} is already used by {id_by[wid]}", id_key)
            id_by[wid] = number_by[n] = t.path
            windows.append(replace(template, id=wid, number=n, name=template.name.replace("{n}", str(n))))
    return tuple(windows)


def _window_numbers(t: Table) -> tuple[list[int], list[str]]:
    """The numbers and ids of the windows an entry stands for."""
    if t.has("numbers"):
        for alone in ("number", "id"):
            if t.has(alone):
                raise t.error('not allowed with "numbers"; a range entry sets "id_prefix", not "id" or "number"', alone)
        node = t.node("numbers")
        first, last = (int(x) for x in node.read(WINDOW_RANGE).split("-"))
        if not first <= last < first + MAX_RANGE:
            raise node.misfit(f'a range of at most {MAX_RANGE} window numbers, from low to high, such as "1-40"')
        prefix = t.get("id_prefix", ID_PREFIX, "w")
        numbers = list(range(first, last + 1))
        ids = [f"{prefix}{n}" for n in numbers]
        for wid in ids:
            if not ID_PATTERN.fullmatch(wid):
                raise t.node("id_prefix").error(f"makes the window id {json.dumps(wid)}, which is too long")
        return numbers, ids
    if t.has("id_prefix"):
        raise t.error('only allowed with "numbers"; a single window sets "id"', "id_prefix")
    n = t.get("number", integer(1))
    return [n], [t.get("id", ID, f"w{n}")]


def _weights(t: Table, known: set[str]) -> tuple[tuple[str, float], ...]:
    """`services = {tax-filing = 2, ...}` (weights) or `services = ["tax-filing", ...]` (weight 1)."""
    if not t.has("services"):
        return ()
    node = t.node("services")
    expected = "a table of service ids and weights such as {tax-filing = 2}, or an array of service ids"
    pairs: list[tuple[Node, str, float]] = []
    if isinstance(node.value, dict):
        for sid in node.value:
            item = Node(node.source, f"{node.key}.{sid}", node.value[sid], node.context)
            pairs.append((item, sid, item.read(number(positive=True))))
    elif isinstance(node.value, list):
        pairs = [(item, item.read(ID), 1.0) for item in node.items()]
    else:
        raise node.misfit(expected)
    seen: set[str] = set()
    for item, sid, _ in pairs:
        if sid not in known:
            raise item.error(f"unknown service {json.dumps(sid)}; expected the id of one of the hall's [[services]]")
        if sid in seen:
            raise item.error(f"service {json.dumps(sid)} is listed twice")
        seen.add(sid)
    return tuple((sid, weight) for _, sid, weight in pairs)
