"""Events the server has not answered: sent again each `resend_after`, dropped after `give_up_after`."""

from __future__ import annotations

from firmware_bridge.unanswered import Unanswered


def test_an_event_is_due_again_until_answered_and_given_up_in_the_end() -> None:
    events = Unanswered(resend_after=1.0, give_up_after=5.0, kept=2)
    events.sent("m1", "keypad-w1", "t/evt/button", b"{}", now=0.0)
    events.sent("m2", "keypad-w1", "t/evt/button", b"{}", now=0.5)
    assert events.due(0.9) == ([], [])
    again, dropped = events.due(1.0)
    assert [m for m, _ in again] == ["m1"] and dropped == []
    assert [m for m, _ in events.due(1.5)[0]] == ["m2"]  # m1 was sent again at 1.0
    events.answered("m2")
    events.answered("unknown")  # an answer to something else changes nothing
    assert [m for m, _ in events.due(2.0)[0]] == ["m1"]
    again, dropped = events.due(5.0)
    assert again == [] and [m for m, _ in dropped] == ["m1"] and len(events) == 0


def test_only_the_newest_events_are_kept() -> None:
    events = Unanswered(kept=2)
    for n in range(3):
        events.sent(f"m{n}", "pad-w1", "t/evt/rating", b"{}", now=0.0)
    assert [m for m, _ in events.due(10.0)[0]] == ["m1", "m2"]


def test_the_events_no_longer_kept_are_named_so_the_outbox_forgets_them_too() -> None:
    events = Unanswered(kept=2)
    assert events.sent("m0", "pad-w1", "t/evt/rating", b"{}", now=0.0) == []
    assert events.sent("m1", "pad-w1", "t/evt/rating", b"{}", now=0.0) == []
    assert events.sent("m2", "pad-w1", "t/evt/rating", b"{}", now=0.0) == ["m0"]


def test_an_event_from_before_a_restart_is_due_at_once_and_keeps_its_age() -> None:
    events = Unanswered(resend_after=1.0, give_up_after=30.0)
    events.restored("b0-7", "keypad-w1", "t/evt/button", b"{}", first_sent=100.0 - 29.5)
    assert [m for m, _ in events.due(100.0)[0]] == ["b0-7"]
    assert [m for m, _ in events.due(100.5)[1]] == ["b0-7"]  # 30 s after it was first kept, not after the restart
