"""One simulated business day of a hall: the real `qms.core.Hall` driven on a virtual clock.

The driver plays the people around the hall and nothing else; every decision the hall makes
(who is called next, recalls, no-shows, refusals at the dispenser) is made by the core, as
in the server:

- a citizen arrives and takes a ticket (`IssueTicket`); if a window that serves the service
  stands idle, its staff press call-next at once (the window serving it with the highest
  weight, the longest idle among equals);
- a called citizen walks to the window (`StartService`), is served for their handling time
  and the staff press finish (`FinishService`) and call the next ticket; a citizen who does
  not come (absent, or walked away while waiting) is recalled and made a no-show by the
  hall's own timers (`next_deadline()` / `advance()`), or by hand if the hall has no
  automatic recall; one who gives up and cancels the ticket on the phone (`cancels`, as a
  replayed day's 取消排队 does) sends `CancelTicket`, and the hall takes it out of line;
- staff open, pause (lunch) and close windows by their schedule; a window that is busy when
  its staff should leave finishes its citizen first.

With no walking time the call itself starts the service, and `StartService` is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from qms.core import commands as c
from qms.core import events as e
from qms.core.errors import QmsError
from qms.core.hall import Hall
from qms.core.model import Channel, HallConfig, PriorityClass, WindowState

from .citizens import Citizen, Outcome
from .kernel import Environment


class StaffMove(StrEnum):
    OPEN = "open"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class ShiftChange:
    """At second `at` of the day, the staff of `window` open, pause, resume or close it."""

    at: float
    window: str
    move: StaffMove


@dataclass(slots=True)
class WindowUse:
    """Where a window's time went (seconds): staffed (open, not paused) and busy with a ticket."""

    staffed: float = 0.0
    busy: float = 0.0
    since: float | None = None  # staffed since


@dataclass(slots=True)
class DayResult:
    citizens: list[Citizen]
    windows: dict[str, WindowUse] = field(default_factory=dict)
    commands: int = 0


#: told of every command the hall handled (None: a timer tick) with its events, e.g. to store the day
Recorder = Callable[[datetime, c.Command | None, list[e.Event]], None]

RECALL_BY_HAND_SECONDS = 30.0  # how long staff wait for a citizen before recalling by hand
_BUSY = frozenset({WindowState.CALLING, WindowState.SERVING})


class HallDay:
    """Runs `citizens` through a hall of `config` from `origin` (local midnight of the day)."""

    def __init__(
        self,
        config: HallConfig,
        origin: datetime,
        citizens: list[Citizen],
        shifts: list[ShiftChange],
        *,
        staff_name: str = "sim",
        recorder: Recorder | None = None,
    ) -> None:
        self.hall = Hall(config)
        self.env = Environment()
        self.origin = origin
        self.citizens = citizens
        self.staff_name = staff_name
        self._recorder = recorder
        self._by_ticket: dict[str, Citizen] = {}
        self._idle: dict[str, None] = {}  # idle windows, longest idle first
        self._pending: dict[str, StaffMove] = {}  # pause/close waiting for the window's citizen to finish
        self._timer_at: float | None = None
        self._deadline: datetime | None = None  # the hall's next deadline when last asked
        self._now_at, self._now = 0.0, origin  # the clock as a datetime, made once per instant
        self._use = {w.id: WindowUse() for w in config.windows}
        self._weights = self.hall.weights
        self._by_hand = config.calling.auto_recall_seconds is None
        self._calling = config.calling
        # the call may stand for the start of service only where no timer acts on a called ticket
        self._call_starts = self._by_hand and config.calling.max_calls > 1
        self.commands = 0
        # commands are values: the same keypress at the same window is made once and reused
        windows = [w.id for w in config.windows]
        self._call = {w: c.CallNext(w, staff_name) for w in windows}
        self._start = {w: c.StartService(w, staff_name) for w in windows}
        self._done = {w: c.FinishService(w, actor=staff_name) for w in windows}
        self._takes: dict[tuple[str, Channel, PriorityClass], c.IssueTicket] = {}
        # arrivals are scheduled one at a time, which keeps the heap small
        self._next_arrival = 0
        if citizens:
            self.env.at(citizens[0].arrive, self._arrive, citizens[0])
        for shift in shifts:
            self.env.at(shift.at, self._shift, shift)

    # ---- the clock -------------------------------------------------------------------

    def _dt(self, t: float) -> datetime:
        return self.origin + timedelta(seconds=t)

    def run(self, until: float) -> DayResult:
        """Run the day up to second `until` (before the next midnight)."""
        self.env.run(until)
        end = self.env.now
        for use in self._use.values():
            if use.since is not None:
                use.staffed += end - use.since
                use.since = end
        return DayResult(self.citizens, self._use, self.commands)

    def _handle(self, command: c.Command) -> list[e.Event]:
        self.commands += 1
        t = self.env.now
        if t != self._now_at:  # one finish and the next call come at the same instant
            self._now_at, self._now = t, self._dt(t)
        now = self._now
        events = self.hall.handle(command, now)
        if self._recorder is not None:
            self._recorder(now, command, events)
        self._process(events)
        self._arm()
        return events

    def _arm(self) -> None:
        deadline = self.hall.next_deadline()
        if deadline is None or deadline is self._deadline:
            return  # the hall hands out the same value while its next deadline stands
        self._deadline = deadline
        t = (deadline - self.origin).total_seconds()
        if self._timer_at is None or t < self._timer_at:
            self._timer_at = t
            self.env.at(t, self._tick, t)

    def _tick(self, t: float) -> None:
        if self._timer_at != t:
            return  # superseded by an earlier deadline, which re-armed the timer
        self._timer_at = None
        self._deadline = None
        self.commands += 1
        now = self._dt(self.env.now)
        events = self.hall.advance(now)
        if self._recorder is not None and events:
            self._recorder(now, None, events)
        self._process(events)
        self._arm()

    # ---- what the hall did ---------------------------------------------------------------

    def _process(self, events: list[e.Event]) -> None:
        for ev in events:
            if type(ev) is e.TicketCalled:
                self._called(ev)
            elif type(ev) is e.TicketNoShow:
                self._no_show(ev)

    def _called(self, ev: e.TicketCalled) -> None:
        citizen = self._by_ticket[ev.ticket_id]
        now = self.env.now
        citizen.calls += 1
        if citizen.called is None:
            citizen.called = now
            citizen.window = ev.window
        if ev.recall or citizen.absent or citizen.walked_away:
            # nobody comes: without automatic recalls the staff recall by hand until the last call,
            # after which the hall's own timer makes the ticket a no-show
            if self._by_hand and ev.call_count < self._calling.max_calls:
                wait = max(self._calling.recall_cooldown_seconds, RECALL_BY_HAND_SECONDS)
                self.env.after(wait, self._recall_by_hand, ev.window, citizen)
            return
        if citizen.walk > 0:
            self.env.after(citizen.walk, self._at_window, ev.window, citizen)
        elif self._call_starts:
            self.env.after(citizen.handling, self._finish, ev.window, citizen)
        else:
            self.env.at(self.env.now, self._at_window, ev.window, citizen)

    def _no_show(self, ev: e.TicketNoShow) -> None:
        citizen = self._by_ticket[ev.ticket_id]
        citizen.outcome = Outcome.WALKED_AWAY if citizen.walked_away else Outcome.NO_SHOW
        citizen.finished = self.env.now
        self._use[ev.window].busy += self.env.now - (citizen.called or self.env.now)
        self._idle_again(ev.window)

    # ---- citizens ----------------------------------------------------------------------

    def _arrive(self, citizen: Citizen) -> None:
        self._next_arrival += 1
        if self._next_arrival < len(self.citizens):
            following = self.citizens[self._next_arrival]
            self.env.at(following.arrive, self._arrive, following)
        if citizen.appointment is None:
            key = (citizen.service, citizen.channel, citizen.klass)
            command = self._takes.get(key)
            if command is None:
                command = self._takes[key] = c.IssueTicket(*key)
        else:
            command = c.IssueTicket(
                citizen.service, citizen.channel, citizen.klass, appointment_at=self._dt(citizen.appointment)
            )
        try:
            events = self._handle(command)
        except QmsError as err:
            citizen.outcome = Outcome.REFUSED
            citizen.refusal = err.code
            return
        issued = events[-1]
        assert type(issued) is e.TicketIssued
        ticket = issued.ticket
        citizen.ticket = ticket.id
        citizen.number = ticket.number
        citizen.priority = ticket.priority
        self._by_ticket[ticket.id] = citizen
        if citizen.patience is not None:
            self.env.after(citizen.patience, self._give_up, citizen)
        if self._idle:
            best, best_weight = None, 0.0
            for window in self._idle:
                weight = self._weights[window].get(ticket.service, 0.0)
                if weight > best_weight:
                    best, best_weight = window, weight
            if best is not None:
                del self._idle[best]
                self._call_next(best)

    def _give_up(self, citizen: Citizen) -> None:
        if citizen.called is not None or citizen.outcome is not Outcome.UNSERVED:
            return
        if citizen.cancels:  # 取消排队 on the phone: the hall takes the ticket out of line
            try:
                self._handle(c.CancelTicket(citizen.ticket, actor="citizen"))
            except QmsError:
                return  # the ticket ended meanwhile (the day closed)
            citizen.outcome = Outcome.CANCELLED
            citizen.finished = self.env.now
            return
        # the hall does not know: the ticket stays in line and becomes a no-show when called
        citizen.walked_away = True

    def _at_window(self, window: str, citizen: Citizen) -> None:
        if self.hall.window_state(window) != (WindowState.CALLING, citizen.ticket):
            return  # made a no-show before they got there
        citizen.started = self.env.now
        self._handle(self._start[window])
        self.env.after(citizen.handling, self._finish, window, citizen)

    def _finish(self, window: str, citizen: Citizen) -> None:
        self._handle(self._done[window])
        citizen.finished = self.env.now
        citizen.outcome = Outcome.SERVED
        self._use[window].busy += self.env.now - (citizen.called or self.env.now)
        self._idle_again(window)

    def _recall_by_hand(self, window: str, citizen: Citizen) -> None:
        if self.hall.window_state(window) == (WindowState.CALLING, citizen.ticket):
            self._handle(c.Recall(window, self.staff_name))

    # ---- windows -----------------------------------------------------------------------

    def _call_next(self, window: str) -> None:
        if not len(self.hall.line):  # nobody waits: the keypress would call nobody (and change nothing)
            self._idle[window] = None
            return
        events = self._handle(self._call[window])
        for ev in events:
            if type(ev) is e.TicketCalled and ev.window == window:
                return
        self._idle[window] = None

    def _idle_again(self, window: str) -> None:
        pending = self._pending.pop(window, None)
        if pending is StaffMove.PAUSE:
            self._pause(window)
        elif pending is StaffMove.CLOSE:
            self._close(window)
        else:
            self._call_next(window)

    def _shift(self, shift: ShiftChange) -> None:
        window = shift.window
        state, _ = self.hall.window_state(window)
        move = shift.move
        if move is StaffMove.OPEN:
            if state is WindowState.CLOSED:
                self._handle(c.OpenWindow(window, self.staff_name))
                self._staffed(window, True)
                self._call_next(window)
            elif self._pending.get(window) is StaffMove.CLOSE:
                del self._pending[window]  # a new shift takes over before the window was free
        elif move is StaffMove.RESUME:
            if state is WindowState.PAUSED:
                self._handle(c.ResumeWindow(window, self.staff_name))
                self._staffed(window, True)
                self._call_next(window)
            elif self._pending.get(window) is StaffMove.PAUSE:
                del self._pending[window]  # served through the lunch break
        elif move in (StaffMove.PAUSE, StaffMove.CLOSE):
            if state in _BUSY:
                self._pending[window] = move
            elif move is StaffMove.PAUSE and state is WindowState.IDLE:
                self._pause(window)
            elif move is StaffMove.CLOSE and state is not WindowState.CLOSED:
                self._close(window)

    def _pause(self, window: str) -> None:
        self._idle.pop(window, None)
        self._handle(c.PauseWindow(window, "lunch", self.staff_name))
        self._staffed(window, False)

    def _close(self, window: str) -> None:
        self._idle.pop(window, None)
        was_staffed = self.hall.window_state(window)[0] is not WindowState.PAUSED
        self._handle(c.CloseWindow(window, self.staff_name))
        if was_staffed:
            self._staffed(window, False)

    def _staffed(self, window: str, on: bool) -> None:
        use = self._use[window]
        now = self.env.now
        if on:
            use.since = now
        elif use.since is not None:
            use.staffed += now - use.since
            use.since = None
