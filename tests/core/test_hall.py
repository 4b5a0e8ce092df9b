"""The ticket life in the hall core, scenario by scenario."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qms.core import commands as c
from qms.core import events as e
from qms.core.errors import IllegalTransition, InvalidInput, NotFound, Refused
from qms.core.hall import Hall
from qms.core.model import (
    CallingConfig,
    Channel,
    Escalation,
    Outcome,
    PolicyConfig,
    PriorityClass,
    Reactivation,
    TicketState,
    WindowState,
)
from tests.factories import at, small_hall


def issue(hall: Hall, service: str = "social", when=None, **kw) -> str:
    events = hall.handle(c.IssueTicket(service, **kw), when or at(9, 5))
    issued = [ev for ev in events if isinstance(ev, e.TicketIssued)]
    return issued[-1].ticket.id


def opened(config=None, *windows: str) -> Hall:
    hall = Hall(config or small_hall())
    for w in windows or ("w1",):
        hall.handle(c.OpenWindow(w, "staff-" + w), at(9))
    return hall


def test_numbers_count_per_prefix_and_reset_each_day() -> None:
    hall = opened()
    assert [hall.ticket(issue(hall)).number for _ in range(3)] == ["A001", "A002", "A003"]
    assert hall.ticket(issue(hall, "tax")).number == "B001"
    events = hall.handle(c.IssueTicket("social"), at(9, 5, day=24))
    assert isinstance(events[-1], e.TicketIssued) and events[-1].ticket.number == "A001"
    assert any(isinstance(ev, e.DayOpened) for ev in events)
    assert all(t.state is TicketState.EXPIRED for t in hall.yesterday.values())
    assert hall.window("w1").state is WindowState.CLOSED  # staff log in again each morning


def test_first_day_opens_on_first_command() -> None:
    hall = Hall(small_hall())
    events = hall.handle(c.IssueTicket("social"), at(9, 5))
    assert isinstance(events[0], e.DayOpened) and events[0].day.isoformat() == "2026-11-23"


def test_full_life_call_start_finish() -> None:
    hall = opened()
    tid = issue(hall)
    [called] = hall.handle(c.CallNext("w1"), at(9, 6))
    assert isinstance(called, e.TicketCalled) and called.ticket_id == tid and called.staff == "staff-w1"
    assert hall.window("w1").state is WindowState.CALLING
    hall.handle(c.StartService("w1"), at(9, 7))
    assert hall.ticket(tid).state is TicketState.SERVING
    [done] = hall.handle(c.FinishService("w1", Outcome.COMPLETED), at(9, 17))
    assert isinstance(done, e.ServiceFinished) and done.handling_seconds == 600
    ticket = hall.ticket(tid)
    assert ticket.state is TicketState.FINISHED and ticket.outcome is Outcome.COMPLETED
    assert ticket.steps[0].window == "w1"
    assert hall.window("w1").state is WindowState.IDLE


def test_call_next_with_nobody_waiting_changes_nothing() -> None:
    hall = opened()
    assert hall.handle(c.CallNext("w1"), at(9, 6)) == []
    assert hall.window("w1").state is WindowState.IDLE


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (c.StartService("w1"), "no_ticket_at_window"),
        (c.FinishService("w1"), "no_ticket_at_window"),
        (c.Recall("w1"), "no_ticket_at_window"),
        (c.ResumeWindow("w1"), "window_not_paused"),
        (c.OpenWindow("w1", "other"), "window_open"),
    ],
)
def test_illegal_window_actions_are_refused_and_change_nothing(command: c.Command, code: str) -> None:
    hall = opened()
    before = (hall.windows(), hall.tickets())
    with pytest.raises(IllegalTransition) as err:
        hall.handle(command, at(9, 6))
    assert err.value.code == code
    assert (hall.windows(), hall.tickets()) == before


def test_closed_and_paused_windows_cannot_call() -> None:
    hall = opened()
    issue(hall)
    with pytest.raises(IllegalTransition, match="closed") as err:
        hall.handle(c.CallNext("w2"), at(9, 6))
    assert err.value.code == "window_closed"
    hall.handle(c.PauseWindow("w1", "午休"), at(9, 6))
    with pytest.raises(IllegalTransition, match="午休") as err:
        hall.handle(c.CallNext("w1"), at(9, 6))
    assert err.value.code == "window_paused"
    hall.handle(c.ResumeWindow("w1"), at(9, 7))
    assert hall.handle(c.CallNext("w1"), at(9, 7))
    with pytest.raises(IllegalTransition) as err:
        hall.handle(c.PauseWindow("w1"), at(9, 8))
    assert err.value.code == "window_busy"
    with pytest.raises(IllegalTransition):
        hall.handle(c.CloseWindow("w1"), at(9, 8))


def test_unknown_names_are_not_found() -> None:
    hall = opened()
    with pytest.raises(NotFound) as err:
        hall.handle(c.IssueTicket("nope"), at(9, 5))
    assert err.value.code == "unknown_service"
    with pytest.raises(NotFound) as err:
        hall.handle(c.CallNext("w99"), at(9, 5))
    assert err.value.code == "unknown_window"
    with pytest.raises(NotFound) as err:
        hall.handle(c.Reactivate("20261123-A999"), at(9, 5))
    assert err.value.code == "unknown_ticket"


def test_hours_lunch_cutoff_and_extended_service() -> None:
    hall = opened()
    with pytest.raises(Refused) as err:
        issue(hall, when=at(8, 59))
    assert err.value.code == "hall_closed"
    with pytest.raises(Refused):
        issue(hall, when=at(12, 30))  # lunch break
    issue(hall, when=at(16, 29))
    with pytest.raises(Refused, match="16:30"):
        issue(hall, when=at(16, 31))  # after the cutoff the dispenser stops
    assert hall.handle(c.CallNext("w1"), at(17, 20))  # ...but the queue is still served (延时服务)
    issue(hall, when=at(16, 45), channel=Channel.STAFF)  # staff may still issue
    with pytest.raises(Refused):
        issue(hall, when=at(10, 0, day=22))  # Sunday
    issue(hall, when=at(10, 0, day=21))  # Saturday morning (周六不打烊)


def test_daily_cap_and_time_band_quota() -> None:
    hall = opened()
    for _ in range(3):
        issue(hall, "tax", when=at(9, 30))
    with pytest.raises(Refused) as err:
        issue(hall, "tax", when=at(9, 40))
    assert err.value.code == "band_quota_reached"
    issue(hall, "tax", when=at(10, 5))
    issue(hall, "tax", when=at(10, 6))
    with pytest.raises(Refused) as err:
        issue(hall, "tax", when=at(10, 7))
    assert err.value.code == "daily_cap_reached"
    issue(hall, "tax", when=at(10, 8), channel=Channel.GREEN)  # green channel is never turned away


def test_recall_cooldown_limit_and_automatic_no_show() -> None:
    hall = opened(small_hall(calling=CallingConfig(recall_cooldown_seconds=20, max_calls=3, auto_recall_seconds=None)))
    tid = issue(hall)
    hall.handle(c.CallNext("w1"), at(9, 6))
    with pytest.raises(Refused) as err:
        hall.handle(c.Recall("w1"), at(9, 6, 10))
    assert err.value.code == "recall_cooldown"
    [again] = hall.handle(c.Recall("w1"), at(9, 6, 30))
    assert isinstance(again, e.TicketCalled) and again.recall and again.call_count == 2
    hall.handle(c.Recall("w1"), at(9, 7))
    with pytest.raises(Refused) as err:
        hall.handle(c.Recall("w1"), at(9, 7, 30))
    assert err.value.code == "recall_limit"
    assert hall.next_deadline() == at(9, 8)
    assert hall.advance(at(9, 7, 59)) == []
    [gone] = hall.advance(at(9, 8))
    assert isinstance(gone, e.TicketNoShow) and gone.automatic
    assert hall.ticket(tid).state is TicketState.NO_SHOW
    assert hall.window("w1").state is WindowState.IDLE


def test_automatic_recalls_by_timer() -> None:
    hall = opened(small_hall(calling=CallingConfig(auto_recall_seconds=30, max_calls=2, no_show_after_seconds=45)))
    issue(hall)
    hall.handle(c.CallNext("w1"), at(9, 6))
    assert hall.next_deadline() == at(9, 6, 30)
    [recall] = hall.advance(at(9, 6, 30))
    assert isinstance(recall, e.TicketCalled) and recall.call_count == 2
    assert hall.next_deadline() == at(9, 7, 15)
    [gone] = hall.advance(at(9, 7, 15))
    assert isinstance(gone, e.TicketNoShow)


@pytest.mark.parametrize("rule", list(Reactivation))
def test_reactivated_no_show_goes_back_by_the_rule(rule: Reactivation) -> None:
    hall = opened(small_hall(policy=PolicyConfig(reactivation=rule)))
    first = issue(hall, when=at(9, 5))
    hall.handle(c.CallNext("w1"), at(9, 6))
    hall.handle(c.MarkNoShow("w1"), at(9, 7))
    second = issue(hall, when=at(9, 8))
    hall.handle(c.Reactivate(first), at(9, 10))
    assert hall.ticket(first).state is TicketState.WAITING
    [called] = hall.handle(c.CallNext("w1"), at(9, 11))
    assert isinstance(called, e.TicketCalled)
    assert called.ticket_id == (first if rule is Reactivation.KEEP_PLACE else second)


def test_out_of_order_call_is_recorded_with_who_and_why() -> None:
    hall = opened()
    issue(hall)
    second = issue(hall)
    with pytest.raises(InvalidInput):
        hall.handle(c.CallTicket("w1", second, reason=" "), at(9, 6))
    [called] = hall.handle(c.CallTicket("w1", second, reason="行动不便", actor="li"), at(9, 6))
    assert isinstance(called, e.TicketCalled) and called.out_of_order and called.reason == "行动不便"
    assert called.ticket_id == second
    with pytest.raises(Refused):  # window help-1 does not serve social security
        hall.handle(c.OpenWindow("help-1", "wang"), at(9, 6))
        hall.handle(c.CallTicket("help-1", issue(hall), reason="test"), at(9, 6))


def test_transfer_keeps_the_place_in_line() -> None:
    hall = opened(None, "w1", "w2")
    first = issue(hall, when=at(9, 5))
    hall.handle(c.CallNext("w1"), at(9, 6))
    later = issue(hall, "tax", when=at(9, 10))
    hall.handle(c.Transfer("w1", to_service="tax", reason="需先办税务"), at(9, 15))
    ticket = hall.ticket(first)
    assert ticket.state is TicketState.WAITING and ticket.service == "tax" and ticket.queued_at == at(9, 5)
    assert ticket.number == "A001"  # the citizen keeps the number on the paper
    [called] = hall.handle(c.CallNext("w2"), at(9, 16))
    assert isinstance(called, e.TicketCalled) and called.ticket_id == first  # ahead of B001 taken later
    assert hall.ticket(later).state is TicketState.WAITING


def test_transfer_to_one_window_only_that_window_calls_it() -> None:
    hall = opened(None, "w1", "w2", "tax-1")
    tid = issue(hall, "tax")
    hall.handle(c.CallNext("w1"), at(9, 6))
    hall.handle(c.Transfer("w1", to_window="tax-1"), at(9, 8))
    assert hall.handle(c.CallNext("w2"), at(9, 9)) == []
    [called] = hall.handle(c.CallNext("tax-1"), at(9, 9))
    assert isinstance(called, e.TicketCalled) and called.ticket_id == tid
    with pytest.raises(InvalidInput):
        hall.handle(c.Transfer("tax-1"), at(9, 10))


def test_one_window_acceptance_then_unified_issuing() -> None:
    hall = opened(None, "w1", "w2")
    tid = issue(hall, "business")
    hall.handle(c.CallNext("w1"), at(9, 6))
    hall.handle(c.StartService("w1"), at(9, 7))
    hall.handle(c.FinishService("w1", Outcome.ACCEPTED), at(9, 20))
    ticket = hall.ticket(tid)
    assert ticket.state is TicketState.WAITING and ticket.service == "issuing"
    assert [s.outcome for s in ticket.steps] == [Outcome.ACCEPTED]
    hall.handle(c.CallNext("w2"), at(9, 21))
    hall.handle(c.FinishService("w2"), at(9, 25))
    assert hall.ticket(tid).state is TicketState.FINISHED and len(hall.ticket(tid).steps) == 2


def test_hold_and_unhold() -> None:
    hall = opened()
    held = issue(hall)
    other = issue(hall)
    hall.handle(c.CallNext("w1"), at(9, 6))
    hall.handle(c.HoldTicket("w1", reason="回去拿户口本"), at(9, 7))
    assert hall.ticket(held).state is TicketState.HELD
    hall.handle(c.CallNext("w1"), at(9, 8))
    assert hall.ticket(other).state is TicketState.CALLED
    hall.handle(c.FinishService("w1"), at(9, 12))
    with pytest.raises(Refused):
        hall.handle(c.OpenWindow("w2", "x"), at(9, 12))
        hall.handle(c.UnholdTicket("w2", held), at(9, 12))
    hall.handle(c.UnholdTicket("w1", held), at(9, 30))
    assert hall.ticket(held).state is TicketState.CALLED and hall.window("w1").ticket == held


def test_escalation_ticket_links_ticket_and_window() -> None:
    hall = opened(None, "w1", "help-1")
    tid = issue(hall)
    hall.handle(c.CallNext("w1"), at(9, 6))
    hall.handle(c.FinishService("w1", Outcome.REJECTED), at(9, 10))
    esc = issue(hall, "help", escalation=Escalation(tid, "w1"))
    assert hall.ticket(esc).escalation == Escalation(tid, "w1")
    assert hall.handle(c.CallNext("w1"), at(9, 11)) == []  # general windows do not take escalations
    [called] = hall.handle(c.CallNext("help-1"), at(9, 11))
    assert isinstance(called, e.TicketCalled) and called.ticket_id == esc
    with pytest.raises(NotFound):
        issue(hall, "help", escalation=Escalation("20261123-A404", None))
    with pytest.raises(InvalidInput):
        issue(hall, "social", escalation=Escalation(tid, None))


def test_priority_and_channel_rules() -> None:
    hall = opened()
    with pytest.raises(InvalidInput) as err:
        issue(hall, priority=PriorityClass.GREEN)
    assert err.value.code == "green_channel_staff_only"
    assert hall.ticket(issue(hall, channel=Channel.GREEN)).priority is PriorityClass.GREEN
    with pytest.raises(InvalidInput):
        issue(hall, priority=PriorityClass.BOOKING)
    elderly = issue(hall, id_number="11010519491231002X", phone="138 1234 5678")
    ticket = hall.ticket(elderly)
    assert ticket.priority is PriorityClass.ELDERLY
    assert ticket.id_masked == "1101**********002X" and ticket.phone_masked == "138****5678"
    with pytest.raises(InvalidInput) as err:
        issue(hall, id_number="110105194912310021")
    assert err.value.code == "invalid_id_number"


def test_booking_check_in_on_time_early_and_late() -> None:
    hall = opened()
    slot = at(10, 0)
    on_time = issue(hall, channel=Channel.BOOKING, appointment_at=slot, when=at(9, 45))
    assert hall.ticket(on_time).priority is PriorityClass.BOOKING
    late = issue(hall, channel=Channel.BOOKING, appointment_at=slot, when=at(10, 20))
    assert hall.ticket(late).priority is PriorityClass.NORMAL  # a late arrival loses booking priority
    with pytest.raises(Refused) as err:
        issue(hall, channel=Channel.BOOKING, appointment_at=at(11, 0), when=at(10, 20))
    assert err.value.code == "booking_too_early"
    with pytest.raises(InvalidInput):
        issue(hall, channel=Channel.BOOKING)


def test_a_refused_command_keeps_clock_events() -> None:
    hall = opened(small_hall(calling=CallingConfig(auto_recall_seconds=None, max_calls=1, no_show_after_seconds=10)))
    issue(hall)
    hall.handle(c.CallNext("w1"), at(9, 6))
    with pytest.raises(NotFound):
        hall.handle(c.CallNext("nope"), at(9, 7))
    assert hall.ticket(hall.tickets()[0].id).state is TicketState.NO_SHOW
    late = hall.advance(at(9, 7))
    assert [type(ev) for ev in late] == [e.TicketNoShow]  # reported with the next call, not lost


def test_replaying_the_events_rebuilds_the_same_hall() -> None:
    hall = Hall(small_hall())
    log: list[e.Event] = []
    for w in ("w1", "w2", "tax-1"):
        log += hall.handle(c.OpenWindow(w, "staff-" + w), at(9))
    now = at(9, 0)
    for i in range(30):
        now += timedelta(minutes=1)
        log += hall.handle(c.IssueTicket(["social", "business", "issuing"][i % 3]), now)
        if i % 2:
            for w in ("w1", "w2", "tax-1"):
                if hall.window(w).state is WindowState.IDLE:
                    log += hall.handle(c.CallNext(w), now)
                else:
                    log += hall.handle(c.FinishService(w, Outcome.ACCEPTED), now)
    copy = Hall(hall.config)
    for ev in log:
        copy.apply(ev)
    assert copy.tickets() == hall.tickets()
    assert copy.windows() == hall.windows()
    assert copy.next_deadline() == hall.next_deadline()
    later = now + timedelta(minutes=1)
    for w in ("w1", "w2"):
        if hall.window(w).state is not WindowState.IDLE:
            assert copy.handle(c.FinishService(w), later) == hall.handle(c.FinishService(w), later)
        assert copy.handle(c.CallNext(w), later) == hall.handle(c.CallNext(w), later)
