"""Replay: a day recorded by the server, run again through another policy or layout.

The server stores every command it handled (`SqliteStore.load_commands`). Running them through
the core again gives back exactly the events of that day, from which the day's citizens are
read: when each took a ticket and for what, in which class, how long they took to reach the
window, how long they were served, whether they answered their calls. The staff's own moves
(open, pause, resume, close) give the windows' schedule. Those citizens and that schedule are
then run through the simulator with the hall file as it was and with the what-if file, and the
three are compared: recorded, simulated as it was (how far the simulator is from the real day)
and simulated what-if (the effect of the change).

Citizens whose ticket was never served that day have no recorded handling time; they get one
drawn from the same day's handling times of their service (or the service's configured time).
"""

from __future__ import annotations

import argparse
import asyncio
import math
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from random import Random

from qms.config import around_the_clock, load_hall
from qms.core import commands as c
from qms.core import events as e
from qms.core.errors import QmsError
from qms.core.hall import Hall
from qms.core.model import HallConfig
from qms.storage.base import StoredCommand
from qms.storage.sqlite import SqliteStore

from .citizens import Citizen, Outcome
from .compare import Pick, class_wait
from .day import DayResult, HallDay, ShiftChange, StaffMove
from .metrics import DayFigures, summarise
from .report import render_table

_MOVES = {
    c.OpenWindow: StaffMove.OPEN,
    c.PauseWindow: StaffMove.PAUSE,
    c.ResumeWindow: StaffMove.RESUME,
    c.CloseWindow: StaffMove.CLOSE,
}


@dataclass(frozen=True, slots=True)
class RecordedDay:
    day: date
    origin: datetime
    citizens: list[Citizen]  # with what happened to them that day
    shifts: list[ShiftChange]
    end: float


def load_commands(database: Path, hall: str) -> list[StoredCommand]:
    """The hall's command log from the server's SQLite database."""

    async def read() -> list[StoredCommand]:
        store = SqliteStore(database)
        await store.open()
        try:
            return await store.load_commands(hall)
        finally:
            await store.close()

    return asyncio.run(read())


def recorded_day(config: HallConfig, log: list[StoredCommand], day: date | None = None, seed: int = 1) -> RecordedDay:
    """Re-run the log through the core and read the day's citizens and staffing off its events."""
    hall = Hall(config)
    days = sorted({entry.at.astimezone(hall.tz).date() for entry in log})
    if not days:
        raise ValueError("the database holds no commands for this hall")
    day = day or days[-1]
    origin = datetime.combine(day, time(0), hall.tz)
    citizens: dict[str, Citizen] = {}
    shifts: list[ShiftChange] = []
    last = 0.0
    for entry in log:
        local_day = entry.at.astimezone(hall.tz).date()
        if local_day > day:
            break
        try:
            events = hall.advance(entry.at) if entry.command is None else hall.handle(entry.command, entry.at)
        except QmsError:
            continue  # refused then too (the server stores only what it handled)
        if local_day < day:
            continue
        t = (entry.at - origin).total_seconds()
        last = max(last, t)
        move = _MOVES.get(type(entry.command)) if entry.command is not None else None
        if move is not None:
            shifts.append(ShiftChange(t, entry.command.window, move))  # type: ignore[union-attr]
        for ev in events:
            _read(ev, t, citizens)
    people = sorted(citizens.values(), key=lambda cz: cz.arrive)
    _fill_handling(config, people, Random(seed))
    for i, cz in enumerate(people):
        cz.index = i
    return RecordedDay(day, origin, people, shifts, last)


def _read(ev: e.Event, t: float, citizens: dict[str, Citizen]) -> None:
    if type(ev) is e.TicketIssued:
        tk = ev.ticket
        appointment = None
        if tk.appointment_at is not None:
            appointment = t + (tk.appointment_at - tk.issued_at).total_seconds()
        citizens[tk.id] = Citizen(0, t, tk.service, tk.priority, tk.channel, math.nan, appointment=appointment)
        citizens[tk.id].ticket = tk.id
        citizens[tk.id].priority = tk.priority
    elif type(ev) is e.TicketCalled and ev.ticket_id in citizens:
        cz = citizens[ev.ticket_id]
        cz.calls += 1
        if cz.called is None:
            cz.called, cz.window = t, ev.window
    elif type(ev) is e.ServiceStarted and ev.ticket_id in citizens:
        cz = citizens[ev.ticket_id]
        cz.started = t
        cz.walk = max(0.0, t - (cz.called or t))
    elif type(ev) is e.ServiceFinished and ev.ticket_id in citizens:
        cz = citizens[ev.ticket_id]
        if cz.finished is None:  # the first step is the one a what-if replays
            cz.finished = t
            cz.handling = ev.handling_seconds
            cz.outcome = Outcome.SERVED
    elif type(ev) is e.TicketTransferred and ev.ticket_id in citizens:
        cz = citizens[ev.ticket_id]
        if cz.finished is None:
            cz.finished = t
            cz.handling = t - (cz.started or cz.called or t)
            cz.outcome = Outcome.SERVED
    elif type(ev) is e.TicketCancelled and ev.ticket_id in citizens:
        cz = citizens[ev.ticket_id]  # left the queue after this long: replayed as the same cancel
        cz.patience = t - cz.arrive
        cz.cancels = True
        cz.finished = t
        cz.outcome = Outcome.CANCELLED
    elif type(ev) is e.TicketNoShow and ev.ticket_id in citizens:
        cz = citizens[ev.ticket_id]
        cz.absent = True
        cz.finished = t
        cz.outcome = Outcome.NO_SHOW


def _fill_handling(config: HallConfig, people: list[Citizen], rng: Random) -> None:
    seen: dict[str, list[float]] = {}
    for cz in people:
        if not math.isnan(cz.handling):
            seen.setdefault(cz.service, []).append(cz.handling)
    for cz in people:
        if math.isnan(cz.handling):
            observed = seen.get(cz.service)
            service = config.service(cz.service)
            default = service.handling_minutes * 60.0 if service is not None else 600.0
            cz.handling = rng.choice(observed) if observed else default


def simulate(config: HallConfig, recorded: RecordedDay) -> DayResult:
    """The recorded citizens and staffing through the hall `config` (windows it lacks are left out)."""
    known = {w.id for w in config.windows}
    services = {s.id for s in config.services}
    citizens = [cz.fresh() for cz in recorded.citizens if cz.service in services]
    shifts = [s for s in recorded.shifts if s.window in known]
    day = HallDay(config, recorded.origin, citizens, shifts)
    return day.run(max(recorded.end, max((cz.arrive for cz in citizens), default=0.0)) + 4 * 3600.0)


def comparison(columns: list[tuple[str, DayFigures]]) -> str:
    rows = [["figure", *(name for name, _ in columns)]]
    picks: list[tuple[str, Pick, str]] = [
        ("tickets", lambda d: d.overall.tickets, "{:.0f}"),
        ("served", lambda d: d.overall.served, "{:.0f}"),
        ("no-shows", lambda d: d.overall.no_shows, "{:.0f}"),
        ("mean wait, min", lambda d: d.overall.mean_wait, "{:.1f}"),
        ("p90 wait, min", lambda d: d.overall.p90, "{:.1f}"),
        ("p95 wait, min", lambda d: d.overall.p95, "{:.1f}"),
        ("called within 15 min", lambda d: d.overall.within_15 * 100, "{:.0f}%"),
        ("called within 30 min", lambda d: d.overall.within_30 * 100, "{:.0f}%"),
    ]
    classes = sorted({k for _, d in columns for k in d.by_class})
    for k in classes:
        picks.append((f"mean wait {k}, min", class_wait(k), "{:.1f}"))
    for label, pick, fmt in picks:
        rows.append([label, *(_show(fmt, pick(d)) for _, d in columns)])
    return render_table(rows)


def _show(fmt: str, value: float) -> str:
    return "-" if math.isnan(value) else fmt.format(value)


def main(args: argparse.Namespace) -> int:
    """`qms sim replay DATABASE --hall ID --config HALL.toml [--through WHATIF.toml] [--day D]`."""
    original = load_hall(args.config).hall
    if args.around_the_clock:  # as `qms demo --around-the-clock` ran it
        original = around_the_clock(original)
    log = load_commands(args.database, args.hall)
    day = date.fromisoformat(args.day) if args.day else None
    recorded = recorded_day(original, log, day)
    end = max(recorded.end, max((cz.arrive for cz in recorded.citizens), default=0.0))
    columns = [("recorded", summarise(DayResult(recorded.citizens), end))]
    as_was = simulate(original, recorded)
    columns.append(("simulated as it was", summarise(as_was, end)))
    if args.through is not None:
        what_if = load_hall(args.through).hall
        if args.around_the_clock:
            what_if = around_the_clock(what_if)
        columns.append((f"simulated {args.through.name}", summarise(simulate(what_if, recorded), end)))
    print(
        f"{original.name} ({args.hall}), {recorded.day}: {len(recorded.citizens)} tickets, "
        f"{len(recorded.shifts)} staff moves, from {args.database}"
    )
    print(comparison(columns))
    return 0
