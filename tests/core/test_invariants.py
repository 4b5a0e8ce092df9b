"""Invariants of the hall core over random command sequences (hypothesis)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qms.core import commands as c
from qms.core import estimate
from qms.core import events as e
from qms.core.errors import QmsError
from qms.core.hall import Hall
from qms.core.model import (
    TERMINAL_STATES,
    CallingConfig,
    Channel,
    Outcome,
    PolicyConfig,
    PriorityClass,
    TicketState,
    WindowState,
)
from tests.factories import always_open_hall, at

CONFIG = always_open_hall(
    policy=PolicyConfig(starvation_minutes=20, priority_run=2),
    calling=CallingConfig(recall_cooldown_seconds=5, max_calls=2, auto_recall_seconds=40, no_show_after_seconds=30),
)
SERVICES = [s.id for s in CONFIG.services]
WINDOWS = [w.id for w in CONFIG.windows]
ID_ELDERLY = "11010519491231002X"

window = st.sampled_from(WINDOWS)
service = st.sampled_from(SERVICES)
pick = st.integers(min_value=0, max_value=40)

step = st.one_of(
    st.tuples(st.just("issue"), service, st.sampled_from(["kiosk", "elderly", "green", "booking", "late-booking"])),
    st.tuples(st.just("open"), window),
    st.tuples(st.just("close"), window),
    st.tuples(st.just("pause"), window),
    st.tuples(st.just("resume"), window),
    st.tuples(st.just("next"), window),
    st.tuples(st.just("next"), window),
    st.tuples(st.just("call"), window, pick),
    st.tuples(st.just("recall"), window),
    st.tuples(st.just("no-show"), window),
    st.tuples(st.just("start"), window),
    st.tuples(st.just("finish"), window, st.sampled_from(list(Outcome))),
    st.tuples(st.just("transfer"), window, service, st.one_of(st.none(), window)),
    st.tuples(st.just("hold"), window),
    st.tuples(st.just("unhold"), window, pick),
    st.tuples(st.just("reactivate"), pick),
    st.tuples(st.just("cancel"), pick),
)
steps = st.lists(st.tuples(step, st.integers(min_value=0, max_value=300)), max_size=80)


def command_for(hall: Hall, action: tuple[object, ...], now_index: int) -> c.Command | None:
    kind = action[0]
    tickets = hall.tickets()

    def nth(k: object) -> str:
        return tickets[int(k) % len(tickets)].id if tickets else "20261123-A999"  # type: ignore[call-overload]

    match action:
        case ("issue", svc, how):
            if how == "elderly":
                return c.IssueTicket(str(svc), id_number=ID_ELDERLY)
            if how == "green":
                return c.IssueTicket(str(svc), channel=Channel.GREEN)
            if how in ("booking", "late-booking"):
                slot = at(9) + timedelta(minutes=now_index % 90 - (30 if how == "late-booking" else 0))
                return c.IssueTicket(str(svc), channel=Channel.BOOKING, appointment_at=slot)
            return c.IssueTicket(str(svc))
        case ("open", w):
            return c.OpenWindow(str(w), "staff")
        case ("close", w):
            return c.CloseWindow(str(w))
        case ("pause", w):
            return c.PauseWindow(str(w), "break")
        case ("resume", w):
            return c.ResumeWindow(str(w))
        case ("next", w):
            return c.CallNext(str(w))
        case ("call", w, k):
            return c.CallTicket(str(w), nth(k), "asked")
        case ("recall", w):
            return c.Recall(str(w))
        case ("no-show", w):
            return c.MarkNoShow(str(w))
        case ("start", w):
            return c.StartService(str(w))
        case ("finish", w, outcome):
            return c.FinishService(str(w), outcome)  # type: ignore[arg-type]
        case ("transfer", w, svc, target):
            return c.Transfer(str(w), to_service=str(svc), to_window=None if target is None else str(target))
        case ("hold", w):
            return c.HoldTicket(str(w))
        case ("unhold", w, k):
            return c.UnholdTicket(str(w), nth(k))
        case ("reactivate", k):
            return c.Reactivate(nth(k))
        case ("cancel", k):
            return c.CancelTicket(nth(k), actor="web")
    raise AssertionError(kind)


def snapshot(hall: Hall) -> tuple[object, ...]:
    return (hall.tickets(), hall.windows(), len(hall.line), dict(hall.counters), hall.next_deadline())


def check_invariants(hall: Hall) -> None:
    tickets = {t.id: t for t in hall.tickets()}
    at_windows = [w.ticket for w in hall.windows() if w.ticket is not None]
    # a ticket is never called by two windows at once
    assert len(at_windows) == len(set(at_windows))
    for w in hall.windows():
        if w.state in (WindowState.CALLING, WindowState.SERVING):
            ticket = tickets[w.ticket]  # type: ignore[index]
            assert ticket.window == w.id
            assert ticket.state is (TicketState.CALLED if w.state is WindowState.CALLING else TicketState.SERVING)
        else:
            assert w.ticket is None
    for t in tickets.values():
        if t.state in (TicketState.CALLED, TicketState.SERVING):
            assert t.id in at_windows
        # waiting tickets, and only they, are in line
        assert (t.id in hall.line) == (t.state is TicketState.WAITING)
    # remembered capacities are never stale: the same estimates as computed afresh
    remembered = estimate.queues(hall, at(12))
    hall.capacity_memo_key = (-1, -1)
    assert estimate.queues(hall, at(12)) == remembered
    # numbers are unique per prefix (so per service) per day
    numbers = Counter(t.number for t in tickets.values())
    assert all(n == 1 for n in numbers.values())


def check_pick(hall: Hall, before: Hall, event: e.TicketCalled, window: str, now_ts: float) -> None:
    """A call-next honours the rule: green first, then starving, then FIFO within (service, class)."""
    picked = before.ticket(event.ticket_id)
    weights = before.weights[window]
    eligible = [
        cand
        for cand in before.line.waiting()
        if (before.ticket(cand.ticket_id).target_window in (None, window))
        and (cand.service in weights or before.ticket(cand.ticket_id).target_window == window)
    ]
    assert any(cand.ticket_id == picked.id for cand in eligible)
    mine = next(cand for cand in eligible if cand.ticket_id == picked.id)
    greens = [cand for cand in eligible if cand.klass is PriorityClass.GREEN]
    if greens:
        assert mine.klass is PriorityClass.GREEN
        assert mine.place == min(g.place for g in greens)
        return
    starving = [cand for cand in eligible if cand.place <= now_ts - CONFIG.policy.starvation_minutes * 60]
    if starving:
        assert mine.place == min(s.place for s in starving)
        return
    same_group = [
        cand
        for cand in eligible
        if cand.service == mine.service
        and cand.klass is mine.klass
        and before.ticket(cand.ticket_id).target_window == picked.target_window
    ]
    assert mine.place == min(cand.place for cand in same_group)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_random_days_keep_every_invariant(sequence: list[tuple[tuple[object, ...], int]]) -> None:
    hall = Hall(CONFIG)
    log: list[e.Event] = []
    now = at(9)
    for i, (action, seconds) in enumerate(sequence):
        now += timedelta(seconds=seconds)
        log += hall.advance(now)
        command = command_for(hall, action, i)
        assert command is not None
        before_state = snapshot(hall)
        before = Hall(CONFIG)
        for ev in log:
            before.apply(ev)
        try:
            events = hall.handle(command, now)
        except QmsError as err:
            assert err.code and err.message
            assert snapshot(hall) == before_state  # a refused command changes nothing
            continue
        log += events
        for ev in events:
            if isinstance(ev, e.TicketCalled) and isinstance(command, c.CallNext):
                check_pick(hall, before, ev, command.window, now.timestamp())
        check_invariants(hall)
    # the events alone rebuild the same hall
    replayed = Hall(CONFIG)
    for ev in log:
        replayed.apply(ev)
    assert snapshot(replayed) == snapshot(hall)
    # the next day every open ticket has an end
    hall.advance(now + timedelta(days=1))
    assert all(t.state in TERMINAL_STATES for t in hall.yesterday.values())
    assert len(hall.yesterday) == len(replayed.tickets())
