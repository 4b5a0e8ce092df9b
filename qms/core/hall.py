"""The hall state machine: one hall's tickets and windows for one business day.

Theory of operation
-------------------
`Hall.handle(command, now)` checks the command against the current state and the hall's
rules, and answers with the events that follow from it; `Hall.advance(now)` answers with the
events the clock causes (a new business day, automatic recalls, automatic no-shows), and
`Hall.next_deadline()` says when `advance` next has something to do. Nothing here reads a
clock, a file or a random source, so the server and the simulator drive the same code, and
the same inputs always give the same events.

Every change of state goes through `apply(event)`, and nothing else changes state. A command
is fully checked before its first event is emitted, so an error leaves the hall unchanged.
Replaying the stored events of a day through `apply` rebuilds the same hall; that is how the
server restarts after a crash. The transition tables are in `rules.py`, the choice of the
next ticket in `policy.py`, waiting-time estimates in `estimate.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import commands as c
from . import events as e
from . import issuing, layout, rating, rules
from .errors import IllegalTransition, InvalidInput, NotFound, Refused
from .model import (
    HallConfig,
    Outcome,
    PriorityClass,
    Reactivation,
    ServiceConfig,
    Step,
    Ticket,
    TicketState,
    Window,
    WindowState,
    evolve,
    serves,
)
from .policy import Streak, WaitingLine

_MOVING_AVERAGE = 0.2  # weight of the newest handling time in the per-service average
_STAFFED = frozenset({WindowState.IDLE, WindowState.CALLING, WindowState.SERVING})


class Hall:
    """One hall's state machine. Not thread-safe: one writer drives it (see DESIGN.md)."""

    def __init__(self, config: HallConfig) -> None:
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self.services: dict[str, ServiceConfig] = {s.id: s for s in config.services}
        self.weights: dict[str, dict[str, float]] = {w.id: serves(w, config.services) for w in config.windows}
        self.day: date | None = None
        self._tickets: dict[str, Ticket] = {}
        self.yesterday: dict[str, Ticket] = {}  # the previous day's tickets, as they ended
        self._seq: dict[str, int] = {}
        self._windows: dict[str, Window] = {}
        self.counters: dict[str, int] = {}
        self.issued_today: dict[str, int] = {}
        self.band_used: dict[tuple[str, int], int] = {}
        self._streaks: dict[str, Streak] = {}
        self.handling_seconds: dict[str, float] = {}
        self.line = WaitingLine(config.policy)
        self._unreported: list[e.Event] = []
        self._due: dict[str, datetime] = {}  # window -> when its called ticket is recalled or a no-show
        self.staffing = 0  # changes whenever a window opens, pauses, resumes or closes (for estimates)
        self.capacity_memo: dict[str, tuple[float, int]] = {}  # see estimate.py
        self.capacity_memo_key = (-1, -1)
        self._day_ends: datetime | None = None
        self.ended_steps: dict[str, rating.EndedStep] = {}  # window -> its last ended step (ratings)
        self.rated: set[tuple[str, int]] = set()  # (ticket, step) already rated
        self.help_at: dict[str, datetime] = {}  # device -> its last call for help
        self._reset_day()

    # ---- queries -----------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket:
        """Today's ticket `ticket_id`, or NotFound."""
        try:
            return self._tickets[ticket_id]
        except KeyError:
            raise NotFound(f"no ticket {ticket_id!r} today", code="unknown_ticket") from None

    def tickets(self) -> list[Ticket]:
        """Today's tickets in the order they were issued."""
        return list(self._tickets.values())

    def window(self, window_id: str) -> Window:
        """Window `window_id` as it stands, or NotFound."""
        try:
            return self._windows[window_id]
        except KeyError:
            raise NotFound(f"this hall has no window {window_id!r}", code="unknown_window") from None

    def windows(self) -> list[Window]:
        return list(self._windows.values())

    def service(self, service_id: str) -> ServiceConfig:
        """Service `service_id`, or NotFound."""
        try:
            return self.services[service_id]
        except KeyError:
            raise NotFound(f"this hall has no service {service_id!r}", code="unknown_service") from None

    def local(self, now: datetime) -> datetime:
        """`now` in the hall's time zone."""
        if now.tzinfo is None:
            raise InvalidInput("times given to the hall must be timezone-aware", code="naive_time")
        return now.astimezone(self.tz)

    # ---- driving -----------------------------------------------------------------------

    def handle(self, command: c.Command, now: datetime) -> list[e.Event]:
        """Answer `command` at `now` with the events it causes; raise QmsError, changing nothing,
        when it is not allowed. Events the clock caused first are returned ahead of them."""
        early = self.advance(now)
        try:
            out = self._dispatch(command, now)
        except Exception:
            self._unreported = early
            raise
        return early + out

    def advance(self, now: datetime) -> list[e.Event]:
        """The events the clock causes up to `now`: a new business day, recalls, no-shows."""
        out, self._unreported = self._unreported, []
        if self._day_ends is None or now >= self._day_ends:
            for ticket in self._tickets.values():
                if ticket.is_open:
                    out.append(self._emit(e.TicketExpired(ticket.id, now)))
            for window in self._windows.values():
                if window.state is not WindowState.CLOSED:
                    out.append(self._emit(e.WindowClosed(window.id, now)))
            out.append(self._emit(e.DayOpened(self.local(now).date(), now)))
        if self._due and min(self._due.values()) <= now:
            max_calls = self.config.calling.max_calls
            for window_id, due in sorted(self._due.items(), key=lambda item: item[1]):
                if due > now:
                    break
                window = self._windows[window_id]
                ticket = self._tickets[window.ticket]  # type: ignore[index]
                if ticket.call_count < max_calls:
                    event: e.Event = e.TicketCalled(
                        ticket.id, window_id, window.staff, now, ticket.call_count + 1, True
                    )
                else:
                    event = e.TicketNoShow(ticket.id, window_id, now, automatic=True)
                out.append(self._emit(event))
        return out

    def next_deadline(self) -> datetime | None:
        """When `advance` next has work: the earliest automatic recall or no-show, else the
        start of the next business day (midnight in the hall's time zone)."""
        deadline = min(self._due.values(), default=None)
        if self._day_ends is not None and (deadline is None or self._day_ends < deadline):
            deadline = self._day_ends
        return deadline

    def _due_for(self, ticket: Ticket) -> datetime | None:
        """When the timer next acts on a called ticket: recall it, or make it a no-show."""
        calling = self.config.calling
        if ticket.called_at is None:
            return None
        if ticket.call_count >= calling.max_calls:
            return ticket.called_at + timedelta(seconds=calling.no_show_after_seconds)
        if calling.auto_recall_seconds is None:
            return None
        return ticket.called_at + timedelta(seconds=calling.auto_recall_seconds)

    def _dispatch(self, command: c.Command, now: datetime) -> list[e.Event]:
        if isinstance(command, c.IssueTicket):
            return [self._emit(issuing.issue_ticket(self, command, now))]
        if isinstance(command, c.Reactivate):
            return [self._emit(self._reactivate(command, now))]
        if isinstance(command, c.RateService):
            return [self._emit(rating.rate(self, command, now))]
        if isinstance(command, c.RequestHelp):
            return [self._emit(rating.request_help(self, command, now))]
        if isinstance(command, c.ChangeLayout):
            return [self._emit(layout.change_layout(self, command, now))]
        window = self.window(command.window)
        rules.check_window(command, window)
        return [self._emit(ev) for ev in self._window_action(command, window, now)]

    # ---- issuing -----------------------------------------------------------------------

    def _reactivate(self, cmd: c.Reactivate, now: datetime) -> e.TicketReactivated:
        ticket = self.ticket(cmd.ticket)
        rules.check_ticket("TicketReactivated", ticket.state, ticket.number)
        keep = self.config.policy.reactivation is Reactivation.KEEP_PLACE
        return e.TicketReactivated(ticket.id, ticket.queued_at if keep else now, now)

    # ---- window actions ----------------------------------------------------------------

    def _window_action(self, cmd: c.Command, window: Window, now: datetime) -> Iterator[e.Event]:
        current = self._tickets[window.ticket] if window.ticket is not None else None
        match cmd:
            case c.OpenWindow(staff=staff):
                if not staff.strip():
                    raise InvalidInput("a window is opened by a named staff member", code="staff_missing")
                yield e.WindowOpened(window.id, staff, now)
            case c.CloseWindow():
                yield e.WindowClosed(window.id, now)
            case c.PauseWindow(reason=reason):
                yield e.WindowPaused(window.id, reason, now)
            case c.ResumeWindow():
                yield e.WindowResumed(window.id, now)
            case c.CallNext():
                pick = self.line.choose(window.id, self.weights[window.id], now.timestamp(), self._streaks[window.id])
                if pick is not None:
                    yield e.TicketCalled(pick.ticket_id, window.id, window.staff, now, 1)
            case c.CallTicket(ticket=ticket_id, reason=reason):
                ticket = self.ticket(ticket_id)
                if not reason.strip():
                    raise InvalidInput("say why this ticket is called out of order", code="reason_required")
                if ticket.state is not TicketState.WAITING:
                    raise IllegalTransition(
                        f"ticket {ticket.number} is {ticket.state.value}", code="ticket_" + ticket.state.value
                    )
                if ticket.target_window not in (None, window.id) or (
                    ticket.target_window is None and ticket.service not in self.weights[window.id]
                ):
                    raise Refused(
                        f"window {window.number} does not serve ticket {ticket.number}", code="not_served_here"
                    )
                yield e.TicketCalled(ticket.id, window.id, window.staff, now, 1, out_of_order=True, reason=reason)
            case c.UnholdTicket(ticket=ticket_id):
                ticket = self.ticket(ticket_id)
                if ticket.state is not TicketState.HELD or ticket.window != window.id:
                    raise Refused(f"ticket {ticket.number} is not held at window {window.number}", code="not_held_here")
                yield e.TicketCalled(ticket.id, window.id, window.staff, now, 1, out_of_order=True, reason="unhold")
            case c.Recall():
                assert current is not None and current.called_at is not None
                calling = self.config.calling
                wait = calling.recall_cooldown_seconds - (now - current.called_at).total_seconds()
                if wait > 0:
                    raise Refused(f"recall again in {wait:.0f} s", code="recall_cooldown")
                if current.call_count >= calling.max_calls:
                    raise Refused(
                        f"{current.number} was called {current.call_count} times: mark it a no-show",
                        code="recall_limit",
                    )
                yield e.TicketCalled(current.id, window.id, window.staff, now, current.call_count + 1, recall=True)
            case c.MarkNoShow():
                assert current is not None
                yield e.TicketNoShow(current.id, window.id, now, automatic=False)
            case c.StartService():
                assert current is not None
                yield e.ServiceStarted(current.id, window.id, now)
            case c.FinishService(outcome=outcome, next_service=next_service):
                assert current is not None
                yield self._finish(current, window, outcome, next_service, now)
            case c.Transfer(to_service=to_service, to_window=to_window, reason=reason):
                assert current is not None
                yield self._transfer(current, window, to_service, to_window, reason, now)
            case c.HoldTicket(reason=reason):
                assert current is not None
                yield e.TicketHeld(current.id, window.id, now, reason)

    def _finish(
        self, ticket: Ticket, window: Window, outcome: Outcome, next_service: str | None, now: datetime
    ) -> e.ServiceFinished:
        if outcome is Outcome.TRANSFERRED:
            raise InvalidInput("to send a ticket on, transfer it", code="use_transfer")
        if next_service is None and outcome is Outcome.ACCEPTED:
            next_service = self.services[ticket.service].next_step
        if next_service is not None:
            self.service(next_service)
        started = ticket.started_at or ticket.called_at or now
        return e.ServiceFinished(ticket.id, window.id, outcome, now, (now - started).total_seconds(), next_service)

    def _transfer(
        self, ticket: Ticket, window: Window, to_service: str | None, to_window: str | None, reason: str, now: datetime
    ) -> e.TicketTransferred:
        if to_service is None and to_window is None:
            raise InvalidInput("name the service or the window to transfer to", code="transfer_target_missing")
        service = self.service(to_service).id if to_service is not None else ticket.service
        if to_window is not None:
            target = self.window(to_window)
            if service not in self.weights[target.id]:
                raise Refused(
                    f"window {target.number} does not serve {self.services[service].name}", code="not_served_here"
                )
            if target.id == window.id and service == ticket.service:
                raise InvalidInput("the ticket is already at this window", code="transfer_to_self")
        return e.TicketTransferred(ticket.id, window.id, service, to_window, now, reason)

    # ---- applying events ---------------------------------------------------------------

    def _emit(self, event: e.Event) -> e.Event:
        self.apply(event)
        return event

    def apply(self, event: e.Event) -> None:
        """Fold one event into the state. Used for new events and to replay stored ones."""
        match event:
            case e.DayOpened(day=day):
                self._reset_day()
                self.day = day
                self._day_ends = datetime.combine(day + timedelta(days=1), datetime.min.time(), self.tz)
            case e.TicketIssued(ticket=ticket):
                service = self.services[ticket.service]
                self._tickets[ticket.id] = ticket
                self._seq[ticket.id] = len(self._seq)
                self.counters[service.prefix] = max(self.counters.get(service.prefix, 0), _count_of(ticket.number))
                self.issued_today[service.id] = self.issued_today.get(service.id, 0) + 1
                if service.bands and ticket.channel in rules.SELF_SERVICE:
                    band = rules.band_at(service.bands, self.local(ticket.issued_at).time())
                    if band is not None:
                        self.band_used[(service.id, band)] = self.band_used.get((service.id, band), 0) + 1
                self._enqueue(ticket)
            case e.TicketCalled(ticket_id=tid, window=wid, staff=staff, at=at, call_count=n, recall=recall):
                ticket = self._move(
                    event, tid, state=TicketState.CALLED, window=wid, staff=staff, called_at=at, call_count=n
                )
                self.line.remove(tid)
                if not recall and not event.out_of_order:
                    self._streaks[wid].count(ticket.priority, self.config.policy)
                self._set_window(wid, state=WindowState.CALLING, ticket=tid, since=at)
            case e.ServiceStarted(ticket_id=tid, window=wid, at=at):
                self._move(event, tid, state=TicketState.SERVING, started_at=at)
                self._set_window(wid, state=WindowState.SERVING, since=at)
            case e.ServiceFinished(ticket_id=tid, window=wid, outcome=outcome, at=at, next_service=nxt):
                ticket = self._tickets[tid]
                avg = self.handling_seconds.get(ticket.service, self.services[ticket.service].handling_minutes * 60.0)
                self.handling_seconds[ticket.service] = avg + _MOVING_AVERAGE * (event.handling_seconds - avg)
                step = Step(ticket.service, wid, outcome, ticket.called_at or at, at)
                self._step_ended(wid, ticket, step)
                if nxt is None:
                    self._move(
                        event,
                        tid,
                        state=TicketState.FINISHED,
                        finished_at=at,
                        outcome=outcome,
                        steps=(*ticket.steps, step),
                    )
                else:
                    self._requeue(event, ticket, nxt, None, step)
                self._set_window(wid, state=WindowState.IDLE, ticket=None, since=at)
            case e.TicketTransferred(ticket_id=tid, from_window=wid, to_service=svc, to_window=target, at=at):
                ticket = self._tickets[tid]
                step = Step(ticket.service, wid, Outcome.TRANSFERRED, ticket.called_at or at, at)
                self._step_ended(wid, ticket, step)
                self._requeue(event, ticket, svc, target, step)
                self._set_window(wid, state=WindowState.IDLE, ticket=None, since=at)
            case e.TicketNoShow(ticket_id=tid, window=wid, at=at):
                self._move(event, tid, state=TicketState.NO_SHOW, finished_at=at)
                self._set_window(wid, state=WindowState.IDLE, ticket=None, since=at)
            case e.TicketReactivated(ticket_id=tid, queued_at=queued_at):
                ticket = self._move(
                    event,
                    tid,
                    state=TicketState.WAITING,
                    queued_at=queued_at,
                    window=None,
                    called_at=None,
                    call_count=0,
                    finished_at=None,
                )
                self._enqueue(ticket)
            case e.TicketHeld(ticket_id=tid, window=wid, at=at):
                self._move(event, tid, state=TicketState.HELD)
                self._set_window(wid, state=WindowState.IDLE, ticket=None, since=at)
            case e.TicketExpired(ticket_id=tid, at=at):
                self._move(event, tid, state=TicketState.EXPIRED, finished_at=at)
                self.line.remove(tid)
            case e.WindowOpened(window=wid, staff=staff, at=at):
                self._set_window(wid, state=WindowState.IDLE, staff=staff, since=at, pause_reason="")
                self._streaks[wid] = Streak()
            case e.WindowPaused(window=wid, reason=reason, at=at):
                self._set_window(wid, state=WindowState.PAUSED, pause_reason=reason, since=at)
            case e.WindowResumed(window=wid, at=at):
                self._set_window(wid, state=WindowState.IDLE, pause_reason="", since=at)
            case e.WindowClosed(window=wid, at=at):
                self._set_window(wid, state=WindowState.CLOSED, staff=None, ticket=None, pause_reason="", since=at)
            case e.ServiceRated(ticket_id=tid, step=step):
                self.rated.add((tid, step))
            case e.HelpRequested(device=device, at=at):
                if device:
                    self.help_at[device] = at
            case e.LayoutChanged():
                layout.apply_layout(self, event)

    def _step_ended(self, window_id: str, ticket: Ticket, step: Step) -> None:
        staff = self._windows[window_id].staff
        self.ended_steps[window_id] = rating.EndedStep(
            ticket.id, ticket.number, len(ticket.steps), staff, step.service, step.finished_at
        )

    def _reset_day(self) -> None:
        self.yesterday, self._tickets = self._tickets, {}
        self._seq.clear()
        self.counters.clear()
        self.issued_today.clear()
        self.band_used.clear()
        self.handling_seconds.clear()
        self.line.clear()
        self._windows = {w.id: Window(w.id, w.number, w.kind, WindowState.CLOSED) for w in self.config.windows}
        self.staffing += 1
        self._streaks = {w.id: Streak() for w in self.config.windows}
        self._due.clear()
        self.ended_steps.clear()
        self.rated.clear()
        self.help_at.clear()

    def _move(self, event: e.Event, ticket_id: str, **changes: object) -> Ticket:
        ticket = self._tickets[ticket_id]
        rules.check_ticket(type(event).__name__, ticket.state, ticket.number)
        moved = evolve(ticket, **changes)
        self._tickets[ticket_id] = moved
        return moved

    def _requeue(self, event: e.Event, ticket: Ticket, service: str, target: str | None, step: Step) -> None:
        moved = self._move(
            event,
            ticket.id,
            state=TicketState.WAITING,
            service=service,
            target_window=target,
            window=None,
            called_at=None,
            call_count=0,
            started_at=None,
            steps=(*ticket.steps, step),
        )
        self._enqueue(moved)

    def _enqueue(self, ticket: Ticket) -> None:
        place = ticket.queued_at
        if ticket.priority is PriorityClass.BOOKING and ticket.appointment_at is not None:
            place = max(place, ticket.appointment_at)  # a booking accumulates from its booked time
        self.line.add(
            ticket.id, ticket.service, ticket.priority, place.timestamp(), self._seq[ticket.id], ticket.target_window
        )

    def _set_window(self, window_id: str, **changes: object) -> None:
        old = self._windows[window_id]
        window = evolve(old, **changes)
        if (old.state in _STAFFED) != (window.state in _STAFFED):
            self.staffing += 1
        self._windows[window_id] = window
        # keep the timer's deadlines in step, so advance() need not scan every window
        due = None
        if window.state is WindowState.CALLING and window.ticket is not None:
            due = self._due_for(self._tickets[window.ticket])
        if due is None:
            self._due.pop(window_id, None)
        else:
            self._due[window_id] = due


def _count_of(number: str) -> int:
    digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits)
