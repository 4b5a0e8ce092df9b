"""The hall's vocabulary as values: configuration, tickets and windows.

Everything here is a frozen value. The mutable state lives in `hall.Hall`, which replaces
these values as events are applied. Names follow DOMAIN.md (hall, service, window, ticket,
green channel, ...).
"""

from __future__ import annotations

import re
from dataclasses import field, fields
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar

from .errors import ConfigError
from .value import value

V = TypeVar("V")

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
PREFIX_PATTERN = re.compile(r"^[A-Z]{1,2}$")


def check_id(kind: str, value: str) -> None:
    """Raise ConfigError unless `value` is a valid id (`[a-z0-9-]`, as in MQTT topics)."""
    if not ID_PATTERN.fullmatch(value):
        raise ConfigError(f"{kind} id {value!r} must be lower-case letters, digits and '-'")


class Channel(StrEnum):
    """How a ticket came into the hall."""

    KIOSK = "kiosk"  # 取号机
    MOBILE = "mobile"  # 手机取号 via the QR code / mini-program
    BOOKING = "booking"  # check-in of an online booking
    STAFF = "staff"  # issued by a staff member (front desk, 导办)
    GREEN = "green"  # 绿色通道, granted by staff


class PriorityClass(StrEnum):
    """Priority classes, from the highest. See policy.py for how they are used."""

    GREEN = "green"  # 绿色通道: key enterprises and major projects
    BOOKING = "booking"  # on-time booking
    ELDERLY = "elderly"  # elderly, disabled, pregnant (适老化/适残化)
    NORMAL = "normal"


PRIORITY_ORDER: tuple[PriorityClass, ...] = tuple(PriorityClass)


class TicketState(StrEnum):
    """Where a ticket is in its life. FINISHED, NO_SHOW, CANCELLED and EXPIRED end it (a
    no-show can be reactivated the same day when the citizen comes back)."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    HELD = "held"  # parked by a window (citizen fetches a document) 挂起
    NO_SHOW = "no_show"  # 过号
    FINISHED = "finished"
    CANCELLED = "cancelled"  # 已取消: the citizen left the queue before being called
    EXPIRED = "expired"  # still open when the next business day began


TERMINAL_STATES = frozenset({TicketState.FINISHED, TicketState.NO_SHOW, TicketState.CANCELLED, TicketState.EXPIRED})


class Outcome(StrEnum):
    """How a window ended its part of a visit."""

    COMPLETED = "completed"  # 办结
    ACCEPTED = "accepted"  # 受理, handed to the back office (一窗受理)
    INCOMPLETE = "incomplete"  # 材料不全, citizen must come back
    REJECTED = "rejected"  # 不予受理
    TRANSFERRED = "transferred"  # sent on to another service or window


class RatingLevel(StrEnum):
    """The five levels of 好差评, from the best; the last two count as bad."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"

    @property
    def label(self) -> str:
        """What the citizen pressed: 非常满意 .. 非常不满意."""
        return _RATING_LABELS[self]

    @property
    def bad(self) -> bool:
        """差评: every named bad rating needs a follow-up."""
        return self in (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)


_RATING_LABELS = {
    RatingLevel.VERY_SATISFIED: "非常满意",
    RatingLevel.SATISFIED: "满意",
    RatingLevel.BASICALLY_SATISFIED: "基本满意",
    RatingLevel.DISSATISFIED: "不满意",
    RatingLevel.VERY_DISSATISFIED: "非常不满意",
}


class WindowKind(StrEnum):
    GENERAL = "general"  # 无差别综合窗口: every service open to general windows
    SPECIALIZED = "specialized"  # 专窗: its listed services only


class WindowState(StrEnum):
    CLOSED = "closed"
    IDLE = "idle"  # open, no ticket at the window
    CALLING = "calling"  # a ticket was called, the citizen is on the way
    SERVING = "serving"
    PAUSED = "paused"  # 暂停, with a reason


class Reactivation(StrEnum):
    """Where a reactivated no-show goes back into its queue."""

    KEEP_PLACE = "keep_place"  # its original place: it is called next among its class
    BACK_OF_QUEUE = "back_of_queue"  # behind everyone waiting now


@value
class IssueBand:
    """A time band of the day in which at most `quota` tickets of a service are issued."""

    start: time
    end: time
    quota: int


@value
class ServiceConfig:
    """A service (事项) or service group that tickets are taken for."""

    id: str
    name: str
    prefix: str
    department: str = ""
    name_en: str = ""
    daily_cap: int | None = None
    handling_minutes: float = 10.0  # seed of the moving average of handling times
    bands: tuple[IssueBand, ...] = ()
    general: bool = True  # served by general windows too
    escalation: bool = False  # 协调帮办: its tickets link to the ticket and window they are about
    next_step: str | None = None  # default next service after acceptance (统一出件)


@value
class WindowConfig:
    """A counter. `weights` are the services a specialized window serves, with weights;
    for a general window they only change the weight of the listed services."""

    id: str
    number: int
    kind: WindowKind
    name: str = ""
    weights: tuple[tuple[str, float], ...] = ()
    zone: str = "main"
    floor: int | None = None


@value
class DayHours:
    """Opening sessions of one day, e.g. 09:00-12:00 and 13:30-17:00 (lunch between)."""

    sessions: tuple[tuple[time, time], ...] = ()

    @property
    def is_open_day(self) -> bool:
        return bool(self.sessions)


@value
class Hours:
    """Business hours per weekday (0 = Monday) and dated exceptions (holidays, 调休).

    Tickets are issued inside a session until `issue_cutoff_minutes` before the day's last
    session ends; tickets already queued are still served after that (延时服务).
    """

    weekly: tuple[DayHours, ...] = field(default_factory=lambda: tuple(DayHours() for _ in range(7)))
    special: tuple[tuple[date, DayHours], ...] = ()
    issue_cutoff_minutes: int = 0

    def on(self, day: date) -> DayHours:
        for special_day, hours in self.special:
            if special_day == day:
                return hours
        return self.weekly[day.weekday()]


@value
class PolicyConfig:
    """How windows choose their next ticket; the rule is written out in policy.py."""

    class_rates: tuple[tuple[PriorityClass, float], ...] = (
        (PriorityClass.GREEN, 1000.0),
        (PriorityClass.BOOKING, 20.0),
        (PriorityClass.ELDERLY, 10.0),
        (PriorityClass.NORMAL, 1.0),
    )
    starvation_minutes: float = 45.0
    # At most `priority_run` priority-class calls in a row at a window while normal tickets
    # wait, then `normal_run` normal ones (ratio interleaving, e.g. 2:1). None: no ratio.
    priority_run: int | None = 3
    normal_run: int = 1
    booking_early_minutes: float = 30.0  # a booking check-in may come this early
    booking_late_minutes: float = 15.0  # later than this loses booking priority
    elderly_age: int = 60  # an ID number showing this age or more gets the elderly class
    reactivation: Reactivation = Reactivation.BACK_OF_QUEUE

    def rate(self, klass: PriorityClass) -> float:
        for k, r in self.class_rates:
            if k == klass:
                return r
        return 1.0


@value
class CallingConfig:
    """Recall and no-show rules."""

    recall_cooldown_seconds: float = 15.0
    max_calls: int = 3  # after this many unanswered calls the ticket becomes a no-show
    auto_recall_seconds: float | None = 60.0  # None: staff recall by hand only
    no_show_after_seconds: float = 60.0  # after the last call


@value
class HallConfig:
    """Everything the core needs to know about one hall."""

    id: str
    name: str
    timezone: str
    services: tuple[ServiceConfig, ...]
    windows: tuple[WindowConfig, ...]
    hours: Hours = field(default_factory=Hours)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    calling: CallingConfig = field(default_factory=CallingConfig)
    name_en: str = ""
    rating_minutes: float = 10.0  # a rating pad rates the window's last ended step this long after it

    def __post_init__(self) -> None:
        validate_hall(self)

    def zones(self) -> list[str]:
        """The hall's zones (waiting areas, each with its screens), in the order of their first window."""
        return list(dict.fromkeys(w.zone for w in self.windows))

    def service(self, service_id: str) -> ServiceConfig | None:
        for s in self.services:
            if s.id == service_id:
                return s
        return None


def validate_hall(hall: HallConfig) -> None:
    """Raise ConfigError naming the first inconsistency of a hall configuration."""
    check_id("hall", hall.id)
    if not hall.services:
        raise ConfigError("a hall needs at least one service")
    seen: set[str] = set()
    for s in hall.services:
        check_id("service", s.id)
        if s.id in seen:
            raise ConfigError(f"service {s.id!r} is defined twice")
        seen.add(s.id)
        if not PREFIX_PATTERN.fullmatch(s.prefix):
            raise ConfigError(f"service {s.id!r}: prefix {s.prefix!r} must be 1-2 capital letters")
        if s.daily_cap is not None and s.daily_cap < 1:
            raise ConfigError(f"service {s.id!r}: daily_cap must be at least 1")
        if s.handling_minutes <= 0:
            raise ConfigError(f"service {s.id!r}: handling_minutes must be positive")
        for band in s.bands:
            if band.end <= band.start or band.quota < 0:
                raise ConfigError(f"service {s.id!r}: band {band.start}-{band.end} is empty or has a negative quota")
    for s in hall.services:
        if s.next_step is not None and s.next_step not in seen:
            raise ConfigError(f"service {s.id!r}: next_step {s.next_step!r} is not a service of this hall")
    if not hall.windows:
        raise ConfigError("a hall needs at least one window")
    windows: set[str] = set()
    numbers: set[int] = set()
    for w in hall.windows:
        check_id("window", w.id)
        if w.id in windows:
            raise ConfigError(f"window {w.id!r} is defined twice")
        if w.number in numbers:
            raise ConfigError(f"window number {w.number} is used twice")
        windows.add(w.id)
        numbers.add(w.number)
        for service_id, weight in w.weights:
            if service_id not in seen:
                raise ConfigError(f"window {w.id!r} lists unknown service {service_id!r}")
            if weight <= 0:
                raise ConfigError(f"window {w.id!r}: weight of {service_id!r} must be positive")
        if w.kind is WindowKind.SPECIALIZED and not w.weights:
            raise ConfigError(f"specialized window {w.id!r} lists no services")
    for s in hall.services:
        if not any(s.id in serves(w, hall.services) for w in hall.windows):
            raise ConfigError(f"service {s.id!r} is served by no window")
    if len(hall.hours.weekly) != 7:
        raise ConfigError("hours must give all seven weekdays")
    p = hall.policy
    if p.starvation_minutes <= 0 or any(r <= 0 for _, r in p.class_rates):
        raise ConfigError("policy: starvation_minutes and class rates must be positive")
    if p.priority_run is not None and (p.priority_run < 1 or p.normal_run < 1):
        raise ConfigError("policy: priority_run and normal_run must be at least 1")
    c = hall.calling
    if c.max_calls < 1 or c.recall_cooldown_seconds < 0 or c.no_show_after_seconds < 0:
        raise ConfigError("calling: max_calls must be at least 1 and times not negative")
    if c.auto_recall_seconds is not None and c.auto_recall_seconds <= 0:
        raise ConfigError("calling: auto_recall_seconds must be positive")
    if hall.rating_minutes <= 0:
        raise ConfigError("ratings: within_minutes must be positive")


def serves(window: WindowConfig, services: tuple[ServiceConfig, ...]) -> dict[str, float]:
    """The services a window serves, with their weight (1.0 unless configured)."""
    listed = dict(window.weights)
    if window.kind is WindowKind.SPECIALIZED:
        return listed
    return {s.id: listed.get(s.id, 1.0) for s in services if s.general or s.id in listed}


@value
class Escalation:
    """What a 协调帮办 ticket is about: the ticket and window the citizen complains of."""

    ticket_id: str
    window_id: str | None = None


@value
class Step:
    """One finished step of a visit at a window (front desk, back office, issuing)."""

    service: str
    window: str
    outcome: Outcome
    called_at: datetime  # the step's first call: a recall does not move it (waiting times end here)
    finished_at: datetime
    started_at: datetime | None = None  # when handling began: the start of service, else the last call

    @property
    def handling(self) -> timedelta:
        """How long the step was handled: from when handling began (else its call) to its end."""
        return self.finished_at - (self.started_at or self.called_at)


@value
class Ticket:
    """A ticket as it stands now. `queued_at` is the place in line: transfers keep it."""

    id: str
    number: str
    service: str
    channel: Channel
    priority: PriorityClass
    state: TicketState
    issued_at: datetime
    queued_at: datetime
    target_window: str | None = None  # transferred to one window
    window: str | None = None  # where it is called, served or held
    staff: str | None = None
    called_at: datetime | None = None
    call_count: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: Outcome | None = None
    steps: tuple[Step, ...] = ()
    appointment_at: datetime | None = None
    id_masked: str | None = None
    phone_masked: str | None = None
    escalation: Escalation | None = None
    note: str = ""
    first_called_at: datetime | None = None  # the first call of the step under way (recalls keep it)

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES


@value
class Window:
    """A window as it stands now."""

    id: str
    number: int
    kind: WindowKind
    state: WindowState
    staff: str | None = None
    ticket: str | None = None
    pause_reason: str = ""
    since: datetime | None = None


@cache
def _layout(cls: Any) -> tuple[attrgetter[Any], dict[str, int]]:
    names = [f.name for f in fields(cls)]
    return attrgetter(*names), {name: i for i, name in enumerate(names)}


def evolve(value: V, **changes: Any) -> V:
    """A copy of a frozen dataclass with some fields changed: `dataclasses.replace`, but
    several times faster, which matters on the hot path of every call."""
    cls: Any = type(value)
    getter, index = _layout(cls)
    values = list(getter(value))
    for name, new in changes.items():
        values[index[name]] = new
    made: V = cls(*values)
    return made
