"""取消排队: a citizen leaves the queue before being called."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qms.core import commands as c
from qms.core import events as e
from qms.core.codec import event_from_json, event_to_json
from qms.core.efficiency import efficiency
from qms.core.errors import IllegalTransition, NotFound
from qms.core.estimate import estimate, queues
from qms.core.hall import Hall
from qms.core.model import TERMINAL_STATES, TicketState
from qms.core.reports import GroupBy, daily_report
from tests.factories import at, small_hall


def hall_with_two_waiting() -> tuple[Hall, list[e.Event], str, str]:
    hall = Hall(small_hall())
    log = hall.handle(c.OpenWindow("w1", "staff-w1"), at(9))
    first = hall.handle(c.IssueTicket("social"), at(9, 1))
    second = hall.handle(c.IssueTicket("social"), at(9, 2))
    log += first + second
    a, b = (ev.ticket.id for ev in (first[-1], second[-1]) if isinstance(ev, e.TicketIssued))
    return hall, log, a, b


def test_a_waiting_ticket_leaves_the_line() -> None:
    hall, _, a, b = hall_with_two_waiting()
    assert estimate(hall, b, at(9, 3)).people_ahead == 1
    [event] = hall.handle(c.CancelTicket(a, actor="web"), at(9, 3))
    assert event == e.TicketCancelled(a, at(9, 3), "web")
    ticket = hall.ticket(a)
    assert ticket.state is TicketState.CANCELLED and ticket.finished_at == at(9, 3)
    assert TicketState.CANCELLED in TERMINAL_STATES and not ticket.is_open
    assert a not in hall.line
    assert estimate(hall, b, at(9, 3)).people_ahead == 0
    assert sum(q.waiting for q in queues(hall, at(9, 3))) == 1
    [called] = hall.handle(c.CallNext("w1"), at(9, 4))  # the window never calls it
    assert isinstance(called, e.TicketCalled) and called.ticket_id == b


def test_cancelling_again_changes_nothing() -> None:
    hall, _, a, _ = hall_with_two_waiting()
    hall.handle(c.CancelTicket(a), at(9, 3))
    assert hall.handle(c.CancelTicket(a), at(9, 4)) == []
    assert hall.ticket(a).finished_at == at(9, 3)


def _called(hall: Hall) -> None:
    hall.handle(c.CallNext("w1"), at(9, 3))


def _serving(hall: Hall) -> None:
    _called(hall)
    hall.handle(c.StartService("w1"), at(9, 4))


def _held(hall: Hall) -> None:
    _serving(hall)
    hall.handle(c.HoldTicket("w1", "copies"), at(9, 5))


def _finished(hall: Hall) -> None:
    _serving(hall)
    hall.handle(c.FinishService("w1"), at(9, 5))


def _no_show(hall: Hall) -> None:
    _called(hall)
    hall.handle(c.MarkNoShow("w1"), at(9, 5))


@pytest.mark.parametrize(
    ("move", "code"),
    [
        (_called, "ticket_called"),
        (_serving, "ticket_serving"),
        (_held, "ticket_held"),
        (_finished, "ticket_finished"),
        (_no_show, "ticket_no_show"),
    ],
)
def test_only_a_waiting_ticket_can_be_cancelled(move: Callable[[Hall], None], code: str) -> None:
    hall, _, a, _ = hall_with_two_waiting()
    move(hall)
    hall.advance(at(9, 6))  # the clock's own recalls first: the refusal must change nothing else
    before = hall.tickets(), len(hall.line)
    with pytest.raises(IllegalTransition) as refused:
        hall.handle(c.CancelTicket(a), at(9, 6))
    assert refused.value.code == code
    assert "only a waiting ticket can be cancelled" in refused.value.message
    assert (hall.tickets(), len(hall.line)) == before


def test_an_unknown_ticket_is_not_found() -> None:
    hall, _, _, _ = hall_with_two_waiting()
    with pytest.raises(NotFound):
        hall.handle(c.CancelTicket("20261123-A999"), at(9, 3))


def test_replaying_stored_events_keeps_the_cancellation() -> None:
    hall, log, a, _ = hall_with_two_waiting()
    log += hall.handle(c.CancelTicket(a, reason="cannot come", actor="web"), at(9, 3))
    stored = [event_from_json(event_to_json(ev)) for ev in log]  # as the store reads them back
    assert stored == log
    copy = Hall(hall.config)
    for ev in stored:
        copy.apply(ev)
    assert copy.tickets() == hall.tickets()
    assert len(copy.line) == len(hall.line) == 1
    assert copy.handle(c.CallNext("w1"), at(9, 4)) == hall.handle(c.CallNext("w1"), at(9, 4))


def test_a_cancelled_ticket_does_not_expire_at_midnight() -> None:
    hall, _, a, b = hall_with_two_waiting()
    hall.handle(c.CancelTicket(a), at(9, 3))
    events = hall.advance(at(0, 1, day=24))
    expired = [ev.ticket_id for ev in events if isinstance(ev, e.TicketExpired)]
    assert expired == [b]
    assert hall.yesterday[a].state is TicketState.CANCELLED


def test_figures_count_a_cancelled_ticket_as_neither_waiting_nor_a_no_show() -> None:
    hall, _, a, _ = hall_with_two_waiting()
    hall.handle(c.CancelTicket(a), at(9, 3))
    figures = efficiency(hall, at(9, 4))
    assert (figures.taken, figures.waiting, figures.no_shows, figures.cancelled) == (2, 1, 0, 1)
    [row] = daily_report(hall.config, hall.tickets(), [], GroupBy.SERVICE)
    assert (row.tickets, row.finished, row.no_shows, row.cancelled) == (2, 0, 0, 1)
