"""Scenarios: a hall (its file), a day's demand and the staff's schedule, as a TOML file.

A scenario names a hall file and says what the day looks like: how many citizens come for
what and when (a non-homogeneous Poisson process with the hall's morning and afternoon peaks
and its lunch dip), how they are served (handling-time distributions per service: lognormal,
exponential or empirical from a CSV), how many check in a booking, are elderly or green
channel, do not answer a call or give up waiting, and when which windows are staffed. It may
change the hall for a what-if: its policy, windows made general, windows left closed.
`sim/scenarios/*.toml` document every key by example; problems raise ScenarioError naming the
file and the key.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from qms.config import load_hall
from qms.config.reader import ConfigFileError, Table
from qms.config.sections import parse_calling, parse_policy
from qms.core.errors import ConfigError
from qms.core.model import HallConfig, WindowKind

from .distributions import Constant, Distribution, Empirical, Exponential, LogNormal, RateProfile, Uniform


class ScenarioError(ConfigError):
    """A scenario file cannot be used; the message names the file and the key."""

    def __init__(self, source: Path, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")


NO_WALK = Constant(0.0)
# booked time minus arrival time: most come a little early, some late (after 15 minutes late a
# booking loses its priority, see PolicyConfig.booking_late_minutes)
BOOKING_OFFSET = Uniform(-20 * 60.0, 25 * 60.0)


@dataclass(frozen=True, slots=True)
class ServiceDemand:
    service: str
    share: float  # relative weight among the services
    handling: Distribution  # seconds


@dataclass(frozen=True, slots=True)
class Demand:
    """Who comes, when and for what; see sim/scenarios/*.toml."""

    profile: RateProfile  # arrivals per second by second of the day, all services together
    services: tuple[ServiceDemand, ...]
    booking_share: float = 0.0
    elderly_share: float = 0.0
    green_share: float = 0.0
    absent_share: float = 0.0
    booking_absent_share: float | None = None  # booked citizens who check in, then miss the call; None: absent_share
    walk: Distribution = NO_WALK
    patience: Distribution | None = None
    booking_offset: Uniform = BOOKING_OFFSET

    @property
    def booked_absent_share(self) -> float:
        """Booked citizens who check in, then miss the call: `booking_absent_share`, else `absent_share`."""
        return self.absent_share if self.booking_absent_share is None else self.booking_absent_share


@dataclass(frozen=True, slots=True)
class Session:
    start: float  # seconds of the day
    end: float


@dataclass(frozen=True, slots=True)
class Staffing:
    """Each window's sessions: open at the first start, paused between sessions, closed at the last end."""

    sessions: dict[str, tuple[Session, ...]]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    source: Path
    hall: HallConfig
    day: date
    end: float  # second of the day the simulation stops
    demand: Demand
    staffing: Staffing

    @property
    def origin(self) -> datetime:
        """Local midnight of the simulated day."""
        return datetime.combine(self.day, time(0), ZoneInfo(self.hall.timezone))


def seconds(value: object) -> float:
    """'HH:MM' or 'HH:MM:SS' -> seconds of the day."""
    if isinstance(value, time):
        return value.hour * 3600.0 + value.minute * 60.0 + value.second
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value):
        raise ValueError(f'expected a time of day such as "09:30", got {value!r}')
    parts = [int(p) for p in value.split(":")]
    if parts[0] > 24 or parts[1] > 59:
        raise ValueError(f"{value!r} is not a time of day")
    return parts[0] * 3600.0 + parts[1] * 60.0 + (parts[2] if len(parts) > 2 else 0)


def window_numbers(spec: object) -> list[int]:
    """'1-8, 12, 20-22' (or a list of numbers) -> [1, ..., 8, 12, 20, 21, 22]."""
    if isinstance(spec, list) and all(isinstance(n, int) for n in spec):
        return list(spec)
    if not isinstance(spec, str):
        raise ValueError('expected window numbers such as "1-8, 12"')
    out: list[int] = []
    for part in spec.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", part)
        if not m:
            raise ValueError(f'expected window numbers such as "1-8, 12", got {spec!r}')
        lo, hi = int(m[1]), int(m[2] or m[1])
        out.extend(range(lo, hi + 1))
    return out


class _Reader:
    """Reads one scenario file, naming the key of every problem."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ScenarioError:
        return ScenarioError(self.source, key, problem)

    def table(self, data: dict[str, Any], key: str, allowed: set[str], required: bool = False) -> dict[str, Any]:
        value = data.get(key.rsplit(".", 1)[-1])
        if value is None:
            if required:
                raise self.fail(key, "missing")
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, "expected a table")
        unknown = set(value) - allowed
        if unknown:
            raise self.fail(f"{key}.{sorted(unknown)[0]}", f"unknown key; expected one of {', '.join(sorted(allowed))}")
        return value

    def number(self, data: dict[str, Any], key: str, default: float, low: float = 0.0, high: float = 1e12) -> float:
        value = data.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise self.fail(key, f"expected a number from {low:g} to {high:g}, got {value!r}")
        return float(value)

    def time_of_day(self, value: object, key: str) -> float:
        try:
            return seconds(value)
        except ValueError as err:
            raise self.fail(key, str(err)) from None

    def distribution(self, value: object, key: str, unit: float = 60.0) -> Distribution:
        """{dist = "lognormal", mean_minutes, sd_minutes} | {dist = "exponential", mean_minutes} |
        {dist = "constant", minutes} | {dist = "empirical", csv, column}; times in minutes."""
        if not isinstance(value, dict) or "dist" not in value:
            raise self.fail(key, 'expected a table such as { dist = "lognormal", mean_minutes = 8, sd_minutes = 4 }')
        dist = value["dist"]
        try:
            if dist == "lognormal":
                mean, sd = float(value["mean_minutes"]), float(value["sd_minutes"])
                if mean <= 0 or sd <= 0:
                    raise ValueError
                return LogNormal(mean * unit, sd * unit)
            if dist == "exponential":
                mean = float(value["mean_minutes"])
                if mean <= 0:
                    raise ValueError
                return Exponential(mean * unit)
            if dist == "constant":
                return Constant(float(value["minutes"]) * unit)
            if dist == "uniform":
                return Uniform(float(value["low_minutes"]) * unit, float(value["high_minutes"]) * unit)
            if dist == "empirical":
                return Empirical(self._csv(value, key, unit))
        except (KeyError, TypeError, ValueError):
            raise self.fail(key, f"incomplete or invalid {dist} distribution: {value!r}") from None
        raise self.fail(
            key + ".dist",
            f"unknown distribution {dist!r}; expected lognormal, exponential, constant, uniform or empirical",
        )

    def _csv(self, value: dict[str, Any], key: str, unit: float) -> tuple[float, ...]:
        path = (self.source.parent / str(value["csv"])).resolve()
        column = str(value.get("column", "minutes"))
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                rows = list(csv.DictReader(f))
        except OSError as err:
            raise self.fail(key + ".csv", f"cannot read {path}: {err.strerror or err}") from None
        except UnicodeDecodeError as err:  # Excel's "CSV" in a Chinese locale is GBK
            raise self.fail(
                key + ".csv", f'{path}: byte {err.start} is not UTF-8; save it as "CSV UTF-8" and try again'
            ) from None
        try:
            values = tuple(float(row[column]) * unit for row in rows if row.get(column, "").strip())
        except (KeyError, ValueError):
            raise self.fail(key + ".column", f"{path}: column {column!r} must hold numbers of minutes") from None
        if not values or any(v < 0 for v in values):
            raise self.fail(key + ".csv", f"{path}: no non-negative values in column {column!r}")
        return values


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file (and the hall file it names)."""
    source = Path(path)
    r = _Reader(source)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise ScenarioError(source, "", f"cannot read the file: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(source, "", f"byte {err.start} is not UTF-8; expected a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(source, "", f"TOML syntax error: {err}") from None
    unknown = set(data) - {"scenario", "policy", "calling", "layout", "demand", "staffing"}
    if unknown:
        raise r.fail(
            sorted(unknown)[0], "unknown section; expected scenario, policy, calling, layout, demand, staffing"
        )
    head = r.table(data, "scenario", {"name", "hall", "date", "end"}, required=True)
    if not isinstance(head.get("hall"), str):
        raise r.fail("scenario.hall", "expected the path of a hall file, relative to this file")
    hall_path = (source.parent / head["hall"]).resolve()
    try:
        hall_file = load_hall(hall_path)
    except ConfigError as err:
        raise r.fail("scenario.hall", str(err)) from None
    hall = _what_if(r, data, hall_file.hall, hall_path)
    day = head.get("date", date(2026, 11, 23))
    if not isinstance(day, date) or isinstance(day, datetime):
        raise r.fail("scenario.date", "expected a date such as 2026-11-23")
    if not hall.hours.on(day).is_open_day:
        raise r.fail("scenario.date", f"{day} is not a working day of {hall.name}")
    end = r.time_of_day(head.get("end", "23:59"), "scenario.end")
    if end >= 86_400:
        raise r.fail("scenario.end", "the simulated day ends before midnight (the hall starts a new day then)")
    demand = _demand(r, data, hall, end)
    staffing = _staffing(r, data, hall)
    return Scenario(str(head.get("name", source.stem)), source, hall, day, end, demand, staffing)


def _what_if(r: _Reader, data: dict[str, Any], hall: HallConfig, hall_path: Path) -> HallConfig:
    """The hall as the scenario changes it: policy and calling overrides, windows made general."""
    raw = tomllib.loads(hall_path.read_text(encoding="utf-8-sig"))
    changes: dict[str, Any] = {}
    try:
        if "policy" in data:
            merged = {**raw.get("policy", {}), **data["policy"]}
            if "class_rates" in data["policy"]:
                merged["class_rates"] = {
                    **raw.get("policy", {}).get("class_rates", {}),
                    **data["policy"]["class_rates"],
                }
            changes["policy"] = parse_policy(Table(merged, r.source, "policy"))
        if "calling" in data:
            changes["calling"] = parse_calling(
                Table({**raw.get("calling", {}), **data["calling"]}, r.source, "calling")
            )
    except ConfigFileError as err:
        raise ScenarioError(r.source, err.key, err.problem) from None
    layout = r.table(data, "layout", {"general"})
    if "general" in layout:
        try:
            numbers = set(window_numbers(layout["general"]))
        except ValueError as err:
            raise r.fail("layout.general", str(err)) from None
        known = {w.number for w in hall.windows}
        if numbers - known:
            raise r.fail("layout.general", f"the hall has no window {min(numbers - known)}")
        changes["windows"] = tuple(
            dataclasses.replace(w, kind=WindowKind.GENERAL) if w.number in numbers else w for w in hall.windows
        )
    try:
        return dataclasses.replace(hall, **changes) if changes else hall
    except ConfigError as err:
        raise r.fail("layout", str(err)) from None


def _demand(r: _Reader, data: dict[str, Any], hall: HallConfig, end: float) -> Demand:
    allowed = {
        "tickets", "profile", "booking_share", "elderly_share", "green_share", "absent_share", "booking_absent_share",
        "walk", "patience", "services", "default_cv",
    }  # fmt: skip
    d = r.table(data, "demand", allowed, required=True)
    tickets = r.number(d, "demand.tickets", -1, 1, 1e7)
    profile_raw = d.get("profile")
    if not isinstance(profile_raw, list) or not profile_raw:
        raise r.fail(
            "demand.profile", 'expected [["08:30", 0.5], ["09:00", 1.6], ...]: relative rates from each time on'
        )
    steps: list[tuple[float, float]] = []
    for i, step in enumerate(profile_raw):
        key = f"demand.profile[{i}]"
        if not isinstance(step, list) or len(step) != 2 or not isinstance(step[1], int | float) or step[1] < 0:
            raise r.fail(key, 'expected ["HH:MM", relative rate]')
        at = r.time_of_day(step[0], key)
        if steps and at <= steps[-1][0]:
            raise r.fail(key, "times must increase")
        steps.append((at, float(step[1])))
    shape = RateProfile(tuple(steps), end)
    if shape.expected() <= 0:
        raise r.fail("demand.profile", "no arrivals before the scenario's end")
    profile = shape.scaled(tickets / shape.expected())
    cv = r.number(d, "demand.default_cv", 0.6, 0.01, 10)
    listed: dict[str, tuple[float, Distribution | None]] = {}
    for i, entry in enumerate(d.get("services", [])):
        key = f"demand.services[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise r.fail(key, "expected a table with the service's id")
        unknown = set(entry) - {"id", "share", "handling"}
        if unknown:
            raise r.fail(f"{key}.{sorted(unknown)[0]}", "unknown key; expected id, share, handling")
        if hall.service(entry["id"]) is None:
            raise r.fail(key + ".id", f"the hall has no service {entry['id']!r}")
        share = r.number(entry, key + ".share", 1.0)
        handling = r.distribution(entry["handling"], key + ".handling") if "handling" in entry else None
        listed[entry["id"]] = (share, handling)
    services = []
    for s in hall.services:
        # services not listed keep weight 1: a hall's long tail of rarely asked services
        share, handling = listed.get(s.id, (1.0, None))
        if handling is None:
            mean = s.handling_minutes * 60.0
            handling = LogNormal(mean, mean * cv)
        if share > 0:
            services.append(ServiceDemand(s.id, share, handling))
    walk = r.distribution(d["walk"], "demand.walk") if "walk" in d else Uniform(10.0, 40.0)
    patience = r.distribution(d["patience"], "demand.patience") if "patience" in d else None
    return Demand(
        profile=profile,
        services=tuple(services),
        booking_share=r.number(d, "demand.booking_share", 0.0, 0, 1),
        elderly_share=r.number(d, "demand.elderly_share", 0.0, 0, 1),
        green_share=r.number(d, "demand.green_share", 0.0, 0, 1),
        absent_share=r.number(d, "demand.absent_share", 0.0, 0, 1),
        booking_absent_share=(
            r.number(d, "demand.booking_absent_share", 0.0, 0, 1) if "booking_absent_share" in d else None
        ),
        walk=walk,
        patience=patience,
    )


def _staffing(r: _Reader, data: dict[str, Any], hall: HallConfig) -> Staffing:
    s = r.table(data, "staffing", {"sessions", "shifts"})
    default = _sessions(r, s.get("sessions"), "staffing.sessions") if "sessions" in s else None
    by_number = {w.number: w.id for w in hall.windows}
    plan: dict[str, tuple[Session, ...]] = {}
    if default is not None:
        plan = {w.id: default for w in hall.windows}
    for i, shift in enumerate(s.get("shifts", [])):
        key = f"staffing.shifts[{i}]"
        if not isinstance(shift, dict) or set(shift) - {"windows", "sessions"} or "windows" not in shift:
            raise r.fail(key, 'expected { windows = "1-8", sessions = [["09:00", "12:00"], ...] }')
        try:
            numbers = window_numbers(shift["windows"])
        except ValueError as err:
            raise r.fail(key + ".windows", str(err)) from None
        sessions = _sessions(r, shift.get("sessions", []), key + ".sessions")
        for n in numbers:
            if n not in by_number:
                raise r.fail(key + ".windows", f"the hall has no window {n}")
            plan[by_number[n]] = sessions
    if not any(plan.values()):
        raise r.fail("staffing", "no window is staffed: give staffing.sessions or staffing.shifts")
    return Staffing(plan)


def _sessions(r: _Reader, value: object, key: str) -> tuple[Session, ...]:
    if not isinstance(value, list):
        raise r.fail(key, 'expected [["09:00", "12:00"], ["13:30", "17:30"]] (an empty list: closed)')
    out: list[Session] = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise r.fail(f"{key}[{i}]", 'expected ["HH:MM", "HH:MM"]')
        start, end = r.time_of_day(pair[0], f"{key}[{i}]"), r.time_of_day(pair[1], f"{key}[{i}]")
        if end <= start or (out and start < out[-1].end):
            raise r.fail(f"{key}[{i}]", "sessions must be in order and not empty")
        out.append(Session(start, end))
    return tuple(out)
