"""The recent calls that the waiting-area screens list, derived from the hall's tickets."""

from __future__ import annotations

from dataclasses import replace

from qms.core import commands as c
from qms.core.hall import Hall
from qms.core.model import CallingConfig, Outcome
from qms.core.screen import latest_call, recent_calls
from tests.factories import at, small_hall


def zoned_hall() -> Hall:
    """w1 and w2 in the main zone, w3 upstairs; the specialized windows in the main zone."""
    config = small_hall(calling=CallingConfig(recall_cooldown_seconds=0, auto_recall_seconds=None))
    windows = tuple(replace(w, zone="upstairs") if w.id == "w3" else w for w in config.windows)
    hall = Hall(replace(config, windows=windows))
    for w in ("w1", "w2", "w3"):
        hall.handle(c.OpenWindow(w, "staff-" + w), at(9))
    return hall


def issue(hall: Hall, service: str = "social", minute: int = 1) -> None:
    hall.handle(c.IssueTicket(service), at(9, minute))


def test_no_calls_before_anyone_is_called() -> None:
    hall = zoned_hall()
    issue(hall)
    assert recent_calls(hall) == []


def test_calls_by_zone_newest_first_with_window_and_number() -> None:
    hall = zoned_hall()
    for minute in range(1, 5):
        issue(hall, minute=minute)
    hall.handle(c.CallNext("w1"), at(9, 10))
    hall.handle(c.CallNext("w3"), at(9, 11))
    hall.handle(c.CallNext("w2"), at(9, 12))
    calls = recent_calls(hall)
    assert [(call.number, call.window, call.zone) for call in calls] == [
        ("A003", "w2", "main"),
        ("A001", "w1", "main"),
        ("A002", "w3", "upstairs"),
    ]
    first = calls[0]
    assert first.window_number == 2 and first.called_at == at(9, 12) and first.call_count == 1
    assert [call.number for call in recent_calls(hall, zone="upstairs")] == ["A002"]
    assert [call.number for call in recent_calls(hall, limit=1)] == ["A003", "A002"]


def test_a_recall_brings_the_ticket_back_to_the_top_once() -> None:
    hall = zoned_hall()
    issue(hall, minute=1)
    issue(hall, minute=2)
    hall.handle(c.CallNext("w1"), at(9, 10))
    hall.handle(c.CallNext("w2"), at(9, 11))
    hall.handle(c.Recall("w1"), at(9, 12))
    calls = recent_calls(hall, zone="main")
    assert [(call.number, call.call_count) for call in calls] == [("A001", 2), ("A002", 1)]


def test_finished_and_no_show_tickets_stay_listed_and_a_later_step_replaces_the_first() -> None:
    hall = zoned_hall()
    hall.handle(c.IssueTicket("business"), at(9, 1))
    issue(hall, minute=2)
    hall.handle(c.CallNext("w1"), at(9, 10))  # D001, the business registration
    hall.handle(c.StartService("w1"), at(9, 11))
    hall.handle(c.FinishService("w1", Outcome.ACCEPTED), at(9, 20))  # goes on to issuing, waits
    waiting_again = recent_calls(hall)
    assert [(call.number, call.window, call.called_at) for call in waiting_again] == [("D001", "w1", at(9, 10))]
    assert latest_call(hall.tickets()[0]) == ("w1", at(9, 10), 1)
    hall.handle(c.CallNext("w2"), at(9, 21))  # D001 again, for issuing: it kept its place ahead of A001
    assert [(call.number, call.window) for call in recent_calls(hall)] == [("D001", "w2")]
    hall.handle(c.MarkNoShow("w2"), at(9, 25))
    hall.handle(c.CallNext("w1"), at(9, 26))  # A001
    assert [(call.number, call.window) for call in recent_calls(hall)] == [("A001", "w1"), ("D001", "w2")]
