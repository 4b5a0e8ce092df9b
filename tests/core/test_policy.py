"""How a window picks its next ticket (see qms/core/policy.py for the rule in words)."""

from __future__ import annotations

from datetime import datetime

from qms.core import commands as c
from qms.core import events as e
from qms.core.hall import Hall
from qms.core.model import Channel, PolicyConfig
from tests.factories import always_open_hall, at


def hall_with(policy: PolicyConfig | None = None) -> Hall:
    hall = Hall(always_open_hall(policy=policy))
    for w in ("w1", "tax-1"):
        hall.handle(c.OpenWindow(w, "s"), at(8))
    return hall


def take(hall: Hall, when: datetime, service: str = "social", **kw: object) -> str:
    [*_, ev] = hall.handle(c.IssueTicket(service, **kw), when)  # type: ignore[arg-type]
    assert isinstance(ev, e.TicketIssued)
    return ev.ticket.id


def next_at(hall: Hall, window: str, when: datetime) -> str | None:
    events = hall.handle(c.CallNext(window), when)
    called = [ev for ev in events if isinstance(ev, e.TicketCalled)]
    if not called:
        return None
    hall.handle(c.FinishService(window), when)
    return called[0].ticket_id


def test_first_come_first_served_within_a_class() -> None:
    hall = hall_with()
    ids = [take(hall, at(9, m)) for m in range(5)]
    assert [next_at(hall, "w1", at(10, m)) for m in range(5)] == ids


def test_green_channel_goes_first() -> None:
    hall = hall_with()
    take(hall, at(9, 0))
    take(hall, at(9, 1), id_number="11010519491231002X")  # elderly
    green = take(hall, at(9, 50), channel=Channel.GREEN)
    assert next_at(hall, "w1", at(9, 51)) == green


def test_higher_class_first_yet_a_long_wait_overtakes() -> None:
    hall = hall_with(PolicyConfig(starvation_minutes=120, priority_run=None))
    normal = take(hall, at(9, 0))
    elderly = take(hall, at(9, 10), id_number="11010519491231002X")
    # at 9:11 the elderly ticket (rate 10 x (1 min + 1)) outranks the normal one (rate 1 x (11 min + 1))
    assert next_at(hall, "w1", at(9, 11)) == elderly
    hall2 = hall_with(PolicyConfig(starvation_minutes=120, priority_run=None))
    normal = take(hall2, at(9, 0))
    take(hall2, at(9, 59), id_number="11010519491231002X")
    # an hour later the normal ticket's accumulated priority (61) beats the fresh elderly one (10 x 2)
    assert next_at(hall2, "w1", at(10, 0)) == normal


def test_nobody_starves() -> None:
    hall = hall_with(
        PolicyConfig(
            starvation_minutes=30, class_rates=(("green", 1000), ("booking", 8), ("elderly", 1000), ("normal", 1))
        )
    )  # type: ignore[arg-type]
    old = take(hall, at(9, 0))
    take(hall, at(9, 40), id_number="11010519491231002X")
    assert next_at(hall, "w1", at(9, 41)) == old


def test_ratio_interleaving_lets_walk_ins_through() -> None:
    hall = hall_with(PolicyConfig(priority_run=2, normal_run=1, starvation_minutes=600))
    normals = [take(hall, at(9, m)) for m in range(3)]
    elders = [take(hall, at(9, 10 + m), id_number="11010519491231002X") for m in range(4)]
    order = [next_at(hall, "w1", at(9, 20, s)) for s in range(7)]
    assert order[:3] == [elders[0], elders[1], normals[0]]
    assert order[3:6] == [elders[2], elders[3], normals[1]]


def test_specialized_weights_tilt_towards_own_service() -> None:
    hall = hall_with(PolicyConfig(priority_run=None))
    social = take(hall, at(10, 0))
    tax = take(hall, at(10, 4), "tax")
    # tax-1 weights tax 3 : social 1; at 10:06 tax has 3 x (2 + 1) min, social 1 x (6 + 1) min
    assert next_at(hall, "tax-1", at(10, 6)) == tax
    assert next_at(hall, "tax-1", at(10, 7)) == social


def test_booking_accumulates_from_its_slot_not_from_early_check_in() -> None:
    hall = hall_with(PolicyConfig(priority_run=None))
    walk_in = take(hall, at(9, 20))
    booked = take(hall, at(9, 35), channel=Channel.BOOKING, appointment_at=at(10, 0))
    assert next_at(hall, "w1", at(9, 40)) == walk_in  # checked in early: waits for its slot
    walk_in2 = take(hall, at(9, 50))
    assert next_at(hall, "w1", at(10, 0)) == booked  # at its time it goes first
    assert next_at(hall, "w1", at(10, 1)) == walk_in2
