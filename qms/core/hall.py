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

Inside, tickets and windows are mutable working records (`records.py`) changed in place by
`apply`; `ticket()`, `tickets()`, `window()` and `windows()` hand out frozen values made from
them. This keeps a command to a few microseconds, so that a simulated day of a big hall
runs in well under a second through this very code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from heapq import heapify, heappop, heappush
from typing import Any
from zoneinfo import ZoneInfo

from . import commands as c
from . import events as e
from . import issuing, layout, rating, rules
from .errors import IllegalTransition, InvalidInput, NotFound, Refused
from .model import (
    TERMINAL_STATES,
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
    serves,
)
from .policy import Streak, WaitingLine
from .records import TicketRecord, WindowRecord

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
        self.ticket_prefix = ""  # today's ticket ids start with it: "20260105-"
        self._cards: dict[str, TicketRecord] = {}
        self.yesterday: dict[str, Ticket] = {}  # the previous day's tickets, as they ended
        self._windows: dict[str, WindowRecord] = {}
        self.counters: dict[str, int] = {}
        self.issued_today: dict[str, int] = {}
        self.band_used: dict[tuple[str, int], int] = {}
        self._streaks: dict[str, Streak] = {}
        self.handling_seconds: dict[str, float] = {}
        self.line = WaitingLine(config.policy)
        self._unreported: list[e.Event] = []
        self._due: dict[str, datetime] = {}  # window -> when its called ticket is recalled or a no-show
        self._due_heap: list[tuple[datetime, str]] = []  # the same, earliest first (stale entries skipped)
        self.staffing = 0  # changes whenever a window opens, pauses, resumes or closes (for estimates)
        self.capacity_memo: dict[str, tuple[float, int]] = {}  # see estimate.py
        self.capacity_memo_key = (-1, -1)
        self._day_ends: datetime | None = None
        self.ended_steps: dict[str, rating.EndedStep] = {}  # window -> its last ended step (ratings)
        self.last_steps: dict[str, rating.EndedStep] = {}  # ticket -> its last ended step (ratings)
        self.rated: set[tuple[str, int]] = set()  # (ticket, step) already rated
        self.help_at: dict[str, datetime] = {}  # device -> its last call for help
        self._issuing: tuple[date, rules.IssuingDay] | None = None
        self._reset_day()

    # ---- queries -----------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket:
        """Today's ticket `ticket_id`, or NotFound."""
        return self._card(ticket_id).view()

    def tickets(self) -> list[Ticket]:
        """Today's tickets in the order they were issued."""
        return [card.view() for card in self._cards.values()]

    def window(self, window_id: str) -> Window:
        """Window `window_id` as it stands, or NotFound."""
        return self._window(window_id).view()

    def windows(self) -> list[Window]:
        return [window.view() for window in self._windows.values()]

    def window_state(self, window_id: str) -> tuple[WindowState, str | None]:
        """The state of window `window_id` and the ticket at it: `window()` without making a
        frozen value, for the simulator's hot path. NotFound for an unknown window."""
        window = self._window(window_id)
        return window.state, window.ticket

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

    def issuing_day(self, day: date) -> rules.IssuingDay:
        """The self-service issuing hours of local date `day` (worked out once a day)."""
        cached = self._issuing
        if cached is None or cached[0] != day:
            cached = self._issuing = (day, rules.IssuingDay(self.config.hours, day))
        return cached[1]

    def _card(self, ticket_id: str) -> TicketRecord:
        try:
            return self._cards[ticket_id]
        except KeyError:
            raise NotFound(f"no ticket {ticket_id!r} today", code="unknown_ticket") from None

    def _window(self, window_id: str) -> WindowRecord:
        try:
            return self._windows[window_id]
        except KeyError:
            raise NotFound(f"this hall has no window {window_id!r}", code="unknown_window") from None

    # ---- driving -----------------------------------------------------------------------

    def handle(self, command: c.Command, now: datetime) -> list[e.Event]:
        """Answer `command` at `now` with the events it causes; raise QmsError, changing nothing,
        when it is not allowed. Events the clock caused first are returned ahead of them."""
        early = self.advance(now) if self._clock_due(now) else []
        try:
            out = self._dispatch(command, now)
        except Exception:
            self._unreported = early
            raise
        if early:
            return early + out
        return out

    def _clock_due(self, now: datetime) -> bool:
        """Whether `advance(now)` may have anything to do. Asked before every command, so it only
        peeks at the timer heap: a stale entry on top costs one `advance` that drops it."""
        if self._unreported or self._day_ends is None or now >= self._day_ends:
            return True
        heap = self._due_heap
        return bool(heap) and heap[0][0] <= now

    def _earliest_due(self) -> datetime | None:
        """The earliest automatic recall or no-show; drops heap entries that no longer hold."""
        heap, due = self._due_heap, self._due
        while heap:
            at, window_id = heap[0]
            if due.get(window_id) == at:
                return at
            heappop(heap)
        return None

    def advance(self, now: datetime) -> list[e.Event]:
        """The events the clock causes up to `now`: a new business day, recalls, no-shows."""
        out, self._unreported = self._unreported, []
        if self._day_ends is None or now >= self._day_ends:
            for card in self._cards.values():
                if card.state not in TERMINAL_STATES:
                    out.append(self._emit(e.TicketExpired(card.issued.id, now)))
            for window in self._windows.values():
                if window.state is not WindowState.CLOSED:
                    out.append(self._emit(e.WindowClosed(window.id, now)))
            out.append(self._emit(e.DayOpened(self.local(now).date(), now)))
        if (earliest := self._earliest_due()) is not None and earliest <= now:
            max_calls = self.config.calling.max_calls
            heap, due = self._due_heap, self._due
            ripe: list[str] = []
            while heap and heap[0][0] <= now:
                at, window_id = heappop(heap)
                if due.get(window_id) == at and window_id not in ripe:
                    ripe.append(window_id)
            for window_id in ripe:  # earliest first, ties by window id
                window = self._windows[window_id]
                card = self._cards[window.ticket]  # type: ignore[index]
                if card.call_count < max_calls:
                    event: e.Event = e.TicketCalled(
                        card.issued.id, window_id, window.staff, now, card.call_count + 1, True
                    )
                else:
                    event = e.TicketNoShow(card.issued.id, window_id, now, automatic=True)
                out.append(self._emit(event))
        return out

    def next_deadline(self) -> datetime | None:
        """When `advance` next has work: the earliest automatic recall or no-show, else the
        start of the next business day (midnight in the hall's time zone)."""
        deadline = self._earliest_due()
        if self._day_ends is not None and (deadline is None or self._day_ends < deadline):
            deadline = self._day_ends
        return deadline

    def _due_for(self, card: TicketRecord) -> datetime | None:
        """When the timer next acts on a called ticket: recall it, or make it a no-show."""
        calling = self.config.calling
        if card.called_at is None:
            return None
        if card.call_count >= calling.max_calls:
            return card.called_at + timedelta(seconds=calling.no_show_after_seconds)
        if calling.auto_recall_seconds is None:
            return None
        return card.called_at + timedelta(seconds=calling.auto_recall_seconds)

    def _dispatch(self, command: c.Command, now: datetime) -> list[e.Event]:
        if isinstance(command, c.IssueTicket):
            return [self._emit(issuing.issue_ticket(self, command, now))]
        if isinstance(command, c.Reactivate):
            return [self._emit(self._reactivate(command, now))]
        if isinstance(command, c.CancelTicket):
            return self._cancel(command, now)
        if isinstance(command, c.RateService):
            return [self._emit(rating.rate(self, command, now))]
        if isinstance(command, c.RequestHelp):
            return [self._emit(rating.request_help(self, command, now))]
        if isinstance(command, c.ChangeLayout):
            return [self._emit(layout.change_layout(self, command, now))]
        window = self._window(command.window)
        rules.check_window(command, window)
        events = self._window_action(command, window, now)  # fully checked: now apply them
        for event in events:
            _APPLY[type(event)](self, event)
        return events

    # ---- issuing -----------------------------------------------------------------------

    def _reactivate(self, cmd: c.Reactivate, now: datetime) -> e.TicketReactivated:
        card = self._card(cmd.ticket)
        rules.check_ticket("TicketReactivated", card.state, card.issued.number)
        keep = self.config.policy.reactivation is Reactivation.KEEP_PLACE
        return e.TicketReactivated(card.issued.id, card.queued_at if keep else now, now)

    def _cancel(self, cmd: c.CancelTicket, now: datetime) -> list[e.Event]:
        card = self._card(cmd.ticket)
        if card.state is TicketState.CANCELLED:  # asked again (a retried tap): nothing more to do
            return []
        why = "only a waiting ticket can be cancelled"
        rules.check_ticket("TicketCancelled", card.state, card.issued.number, why)
        return [self._emit(e.TicketCancelled(card.issued.id, now, cmd.actor, cmd.reason))]

    # ---- window actions ----------------------------------------------------------------

    def _window_action(self, cmd: c.Command, window: WindowRecord, now: datetime) -> list[e.Event]:
        current = self._cards[window.ticket] if window.ticket is not None else None
        if isinstance(cmd, c.CallNext):  # the hot path: first
            pick = self.line.choose(window.id, self.weights[window.id], now.timestamp(), self._streaks[window.id])
            if pick is None:
                return []
            return [e.TicketCalled(pick.ticket_id, window.id, window.staff, now, 1)]
        if isinstance(cmd, c.FinishService):
            assert current is not None
            return [self._finish(current, window, cmd.outcome, cmd.next_service, now)]
        if isinstance(cmd, c.StartService):
            assert current is not None
            return [e.ServiceStarted(current.issued.id, window.id, now)]
        return list(self._other_action(cmd, window, current, now))

    def _other_action(
        self, cmd: c.Command, window: WindowRecord, current: TicketRecord | None, now: datetime
    ) -> Iterator[e.Event]:
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
            case c.CallTicket(ticket=ticket_id, reason=reason):
                card = self._card(ticket_id)
                number = card.issued.number
                if not reason.strip():
                    raise InvalidInput("say why this ticket is called out of order", code="reason_required")
                if card.state is not TicketState.WAITING:
                    raise IllegalTransition(f"ticket {number} is {card.state.value}", code="ticket_" + card.state.value)
                if card.target_window not in (None, window.id) or (
                    card.target_window is None and card.service not in self.weights[window.id]
                ):
                    raise Refused(f"window {window.number} does not serve ticket {number}", code="not_served_here")
                yield e.TicketCalled(card.issued.id, window.id, window.staff, now, 1, out_of_order=True, reason=reason)
            case c.UnholdTicket(ticket=ticket_id):
                card = self._card(ticket_id)
                if card.state is not TicketState.HELD or card.window != window.id:
                    raise Refused(
                        f"ticket {card.issued.number} is not held at window {window.number}", code="not_held_here"
                    )
                yield e.TicketCalled(
                    card.issued.id, window.id, window.staff, now, 1, out_of_order=True, reason="unhold"
                )
            case c.Recall():
                assert current is not None and current.called_at is not None
                calling = self.config.calling
                wait = calling.recall_cooldown_seconds - (now - current.called_at).total_seconds()
                if wait > 0:
                    raise Refused(f"recall again in {wait:.0f} s", code="recall_cooldown")
                if current.call_count >= calling.max_calls:
                    raise Refused(
                        f"{current.issued.number} was called {current.call_count} times: mark it a no-show",
                        code="recall_limit",
                    )
                yield e.TicketCalled(
                    current.issued.id, window.id, window.staff, now, current.call_count + 1, recall=True
                )
            case c.MarkNoShow():
                assert current is not None
                yield e.TicketNoShow(current.issued.id, window.id, now, automatic=False)
            case c.Transfer(to_service=to_service, to_window=to_window, reason=reason):
                assert current is not None
                yield self._transfer(current, window, to_service, to_window, reason, now)
            case c.HoldTicket(reason=reason):
                assert current is not None
                yield e.TicketHeld(current.issued.id, window.id, now, reason)

    def _finish(
        self, card: TicketRecord, window: WindowRecord, outcome: Outcome, next_service: str | None, now: datetime
    ) -> e.ServiceFinished:
        if outcome is Outcome.TRANSFERRED:
            raise InvalidInput("to send a ticket on, transfer it", code="use_transfer")
        if next_service is None and outcome is Outcome.ACCEPTED:
            next_service = self.services[card.service].next_step
        if next_service is not None:
            self.service(next_service)
        started = card.started_at or card.called_at or now
        return e.ServiceFinished(card.issued.id, window.id, outcome, now, (now - started).total_seconds(), next_service)

    def _transfer(
        self,
        card: TicketRecord,
        window: WindowRecord,
        to_service: str | None,
        to_window: str | None,
        reason: str,
        now: datetime,
    ) -> e.TicketTransferred:
        if to_service is None and to_window is None:
            raise InvalidInput("name the service or the window to transfer to", code="transfer_target_missing")
        service = self.service(to_service).id if to_service is not None else card.service
        if to_window is not None:
            target = self._window(to_window)
            if service not in self.weights[target.id]:
                raise Refused(
                    f"window {target.number} does not serve {self.services[service].name}", code="not_served_here"
                )
            if target.id == window.id and service == card.service:
                raise InvalidInput("the ticket is already at this window", code="transfer_to_self")
        return e.TicketTransferred(card.issued.id, window.id, service, to_window, now, reason)

    # ---- applying events ---------------------------------------------------------------

    def _emit(self, event: e.Event) -> e.Event:
        _APPLY[type(event)](self, event)
        return event

    def apply(self, event: e.Event) -> None:
        """Fold one event into the state. Used for new events and to replay stored ones."""
        _APPLY[type(event)](self, event)

    def _day_opened(self, event: e.DayOpened) -> None:
        self._reset_day()
        self.day = event.day
        self.ticket_prefix = f"{event.day:%Y%m%d}-"
        self._day_ends = datetime.combine(event.day + timedelta(days=1), datetime.min.time(), self.tz)

    def _ticket_issued(self, event: e.TicketIssued) -> None:
        ticket = event.ticket
        service = self.services[ticket.service]
        card = self._cards[ticket.id] = TicketRecord(ticket, len(self._cards))
        count = _count_of(ticket.number)
        if count > self.counters.get(service.prefix, 0):
            self.counters[service.prefix] = count
        self.issued_today[service.id] = self.issued_today.get(service.id, 0) + 1
        if service.bands and ticket.channel in rules.SELF_SERVICE:
            band = rules.band_at(service.bands, self.local(ticket.issued_at).time())
            if band is not None:
                self.band_used[(service.id, band)] = self.band_used.get((service.id, band), 0) + 1
        self._enqueue(card)

    def _ticket_called(self, event: e.TicketCalled) -> None:
        card = self._move(event, event.ticket_id)
        card.state = TicketState.CALLED
        card.window = wid = event.window
        card.staff = event.staff
        card.called_at = event.at
        if card.first_called_at is None:  # a recall, or the call back of a held ticket, keeps the first
            card.first_called_at = event.at
        card.call_count = event.call_count
        self.line.remove(card.issued.id)
        if not event.recall and not event.out_of_order:
            self._streaks[wid].count(card.issued.priority, self.config.policy)
        window = self._windows[wid]
        window.state = WindowState.CALLING
        window.ticket = card.issued.id
        window.since = event.at
        self._window_changed(window, staffed_before=True)

    def _service_started(self, event: e.ServiceStarted) -> None:
        card = self._move(event, event.ticket_id)
        card.state = TicketState.SERVING
        card.started_at = event.at
        window = self._windows[event.window]
        window.state = WindowState.SERVING
        window.since = event.at
        self._window_changed(window, staffed_before=True)

    def _service_finished(self, event: e.ServiceFinished) -> None:
        wid, at, nxt = event.window, event.at, event.next_service
        card = self._move(event, event.ticket_id)
        service = card.service
        avg = self.handling_seconds.get(service)
        if avg is None:
            avg = self.services[service].handling_minutes * 60.0
        self.handling_seconds[service] = avg + _MOVING_AVERAGE * (event.handling_seconds - avg)
        step = _step(card, service, wid, event.outcome, at)
        self._step_ended(wid, card, step)
        card.steps = (*card.steps, step)
        if nxt is None:
            card.state = TicketState.FINISHED
            card.finished_at = at
            card.outcome = event.outcome
        else:
            self._requeue(card, nxt, None)
        self._window_freed(wid, at)

    def _ticket_transferred(self, event: e.TicketTransferred) -> None:
        wid, at = event.from_window, event.at
        card = self._move(event, event.ticket_id)
        step = _step(card, card.service, wid, Outcome.TRANSFERRED, at)
        self._step_ended(wid, card, step)
        card.steps = (*card.steps, step)
        self._requeue(card, event.to_service, event.to_window)
        self._window_freed(wid, at)

    def _ticket_no_show(self, event: e.TicketNoShow) -> None:
        card = self._move(event, event.ticket_id)
        card.state = TicketState.NO_SHOW
        card.finished_at = event.at
        self._window_freed(event.window, event.at)

    def _ticket_reactivated(self, event: e.TicketReactivated) -> None:
        card = self._move(event, event.ticket_id)
        card.state = TicketState.WAITING
        card.queued_at = event.queued_at
        card.window = None
        card.called_at = card.first_called_at = None
        card.call_count = 0
        card.finished_at = None
        self._enqueue(card)

    def _ticket_held(self, event: e.TicketHeld) -> None:
        card = self._move(event, event.ticket_id)
        card.state = TicketState.HELD
        self._window_freed(event.window, event.at)

    def _ticket_cancelled(self, event: e.TicketCancelled) -> None:
        card = self._move(event, event.ticket_id)
        card.state = TicketState.CANCELLED
        card.finished_at = event.at
        self.line.remove(card.issued.id)

    def _ticket_expired(self, event: e.TicketExpired) -> None:
        card = self._move(event, event.ticket_id)
        card.state = TicketState.EXPIRED
        card.finished_at = event.at
        self.line.remove(card.issued.id)

    def _window_opened(self, event: e.WindowOpened) -> None:
        window = self._windows[event.window]
        staffed = window.state in _STAFFED
        window.state = WindowState.IDLE
        window.staff = event.staff
        window.since = event.at
        window.pause_reason = ""
        self._window_changed(window, staffed)
        self._streaks[window.id] = Streak()

    def _window_paused(self, event: e.WindowPaused) -> None:
        window = self._windows[event.window]
        staffed = window.state in _STAFFED
        window.state = WindowState.PAUSED
        window.pause_reason = event.reason
        window.since = event.at
        self._window_changed(window, staffed)

    def _window_resumed(self, event: e.WindowResumed) -> None:
        window = self._windows[event.window]
        staffed = window.state in _STAFFED
        window.state = WindowState.IDLE
        window.pause_reason = ""
        window.since = event.at
        self._window_changed(window, staffed)

    def _window_closed(self, event: e.WindowClosed) -> None:
        window = self._windows[event.window]
        staffed = window.state in _STAFFED
        window.state = WindowState.CLOSED
        window.staff = None
        window.ticket = None
        window.pause_reason = ""
        window.since = event.at
        self._window_changed(window, staffed)

    def _service_rated(self, event: e.ServiceRated) -> None:
        self.rated.add((event.ticket_id, event.step))

    def _help_requested(self, event: e.HelpRequested) -> None:
        if event.device:
            self.help_at[event.device] = event.at

    # ---- applying: shared steps ----------------------------------------------------------

    def _step_ended(self, window_id: str, card: TicketRecord, step: Step) -> None:
        ticket = card.issued
        ended = rating.EndedStep(
            ticket.id,
            ticket.number,
            len(card.steps),
            window_id,
            self._windows[window_id].staff,
            step.service,
            step.finished_at,
        )
        self.ended_steps[window_id] = self.last_steps[ticket.id] = ended

    def _reset_day(self) -> None:
        self.yesterday = {tid: card.view() for tid, card in self._cards.items()}
        self._cards = {}
        self.counters.clear()
        self.issued_today.clear()
        self.band_used.clear()
        self.handling_seconds.clear()
        self.line.clear()
        self._windows = {w.id: WindowRecord(w) for w in self.config.windows}
        self.staffing += 1
        self._streaks = {w.id: Streak() for w in self.config.windows}
        self._due.clear()
        self._due_heap.clear()
        self.ended_steps.clear()
        self.last_steps.clear()
        self.rated.clear()
        self.help_at.clear()

    def _move(self, event: e.Event, ticket_id: str) -> TicketRecord:
        """The record of the ticket `event` moves, checked against the ticket transition table."""
        card = self._cards[ticket_id]
        state = card.state
        if state not in rules.TICKET_MOVES[type(event).__name__]:
            rules.check_ticket(type(event).__name__, state, card.issued.number)
        card.changed()
        return card

    def _requeue(self, card: TicketRecord, service: str, target: str | None) -> None:
        card.state = TicketState.WAITING
        card.service = service
        card.target_window = target
        card.window = None
        card.called_at = card.first_called_at = None
        card.call_count = 0
        card.started_at = None
        self._enqueue(card)

    def _enqueue(self, card: TicketRecord) -> None:
        ticket = card.issued
        place = card.queued_at
        if ticket.priority is PriorityClass.BOOKING and ticket.appointment_at is not None:
            place = max(place, ticket.appointment_at)  # a booking accumulates from its booked time
        self.line.add(ticket.id, card.service, ticket.priority, place.timestamp(), card.seq, card.target_window)

    def _window_freed(self, window_id: str, at: datetime) -> None:
        """The window's ticket left it (finished, transferred, no-show, held): idle again."""
        window = self._windows[window_id]
        window.state = WindowState.IDLE
        window.ticket = None
        window.since = at
        self._window_changed(window, staffed_before=True)

    def _window_changed(self, window: WindowRecord, staffed_before: bool) -> None:
        window.changed()
        if staffed_before != (window.state in _STAFFED):
            self.staffing += 1
        # keep the timer's deadlines in step, so advance() need not scan every window
        due = None
        if window.state is WindowState.CALLING and window.ticket is not None:
            due = self._due_for(self._cards[window.ticket])
        if due is None:
            self._due.pop(window.id, None)
        elif self._due.get(window.id) != due:
            self._due[window.id] = due
            heappush(self._due_heap, (due, window.id))
            if len(self._due_heap) > 4 * len(self._due) + 64:  # mostly stale: start afresh
                self._due_heap = [(at, w) for w, at in self._due.items()]
                heapify(self._due_heap)


_APPLY: dict[type, Callable[[Hall, Any], None]] = {
    e.DayOpened: Hall._day_opened,
    e.TicketIssued: Hall._ticket_issued,
    e.TicketCalled: Hall._ticket_called,
    e.ServiceStarted: Hall._service_started,
    e.ServiceFinished: Hall._service_finished,
    e.TicketTransferred: Hall._ticket_transferred,
    e.TicketNoShow: Hall._ticket_no_show,
    e.TicketReactivated: Hall._ticket_reactivated,
    e.TicketHeld: Hall._ticket_held,
    e.TicketCancelled: Hall._ticket_cancelled,
    e.TicketExpired: Hall._ticket_expired,
    e.WindowOpened: Hall._window_opened,
    e.WindowPaused: Hall._window_paused,
    e.WindowResumed: Hall._window_resumed,
    e.WindowClosed: Hall._window_closed,
    e.ServiceRated: Hall._service_rated,
    e.HelpRequested: Hall._help_requested,
    e.LayoutChanged: layout.apply_layout,
}


def _step(card: TicketRecord, service: str, window: str, outcome: Outcome, at: datetime) -> Step:
    """The step a ticket ends at `window`: from its first call (waiting ends there), handled from
    the start of service or else from the last call (the citizen came on that one)."""
    called = card.first_called_at or card.called_at or at
    return Step(service, window, outcome, called, at, card.started_at or card.called_at or called)


def _count_of(number: str) -> int:
    digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits)
