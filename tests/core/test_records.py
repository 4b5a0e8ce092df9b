"""The hall's working records hand out the same frozen values the old copy-on-change did."""

from __future__ import annotations

from dataclasses import fields

from qms.core.model import (
    Channel,
    Escalation,
    Outcome,
    PriorityClass,
    Step,
    Ticket,
    TicketState,
    WindowConfig,
    WindowKind,
    WindowState,
    evolve,
)
from qms.core.records import TicketRecord, WindowRecord
from tests.factories import at

ISSUED = Ticket(
    "20261123-A001",
    "A001",
    "social",
    Channel.BOOKING,
    PriorityClass.BOOKING,
    TicketState.WAITING,
    at(9),
    at(9),
    appointment_at=at(9, 30),
    id_masked="1101**********002X",
    phone_masked="138****0000",
    escalation=Escalation("20261123-A000", "w1"),
    note="带齐材料",
)

# every field a ticket changes on its way through the hall, with a value unlike the issued one
CHANGES: dict[str, object] = {
    "state": TicketState.FINISHED,
    "service": "tax",
    "queued_at": at(8),
    "target_window": "w2",
    "window": "w2",
    "staff": "staff1",
    "called_at": at(10),
    "call_count": 2,
    "started_at": at(10, 1),
    "finished_at": at(10, 9),
    "outcome": Outcome.COMPLETED,
    "steps": (Step("social", "w1", Outcome.ACCEPTED, at(9, 40), at(9, 50)),),
    "first_called_at": at(9, 59),
}


def test_a_fresh_record_shows_the_ticket_as_issued() -> None:
    assert TicketRecord(ISSUED, 0).view() is ISSUED


def test_every_ticket_field_is_either_fixed_at_issue_or_kept_by_the_record() -> None:
    record = TicketRecord(ISSUED, 0)
    for name, value in CHANGES.items():
        setattr(record, name, value)
    record.changed()
    assert record.view() == evolve(ISSUED, **CHANGES)
    kept = set(TicketRecord.__slots__)
    fixed = {f.name for f in fields(Ticket)} - kept
    assert fixed == {
        "id",
        "number",
        "channel",
        "priority",
        "issued_at",
        "appointment_at",
        "id_masked",
        "phone_masked",
        "escalation",
        "note",
    }
    assert set(CHANGES) == {f.name for f in fields(Ticket)} - fixed


def test_a_view_is_made_once_per_change_and_never_changes_under_its_reader() -> None:
    record = TicketRecord(ISSUED, 0)
    first = record.view()
    record.state = TicketState.CALLED
    record.changed()
    second = record.view()
    assert first.state is TicketState.WAITING and second.state is TicketState.CALLED
    assert record.view() is second


def test_window_record_views() -> None:
    record = WindowRecord(WindowConfig("w3", 3, WindowKind.GENERAL))
    closed = record.view()
    assert (closed.id, closed.number, closed.kind, closed.state) == ("w3", 3, WindowKind.GENERAL, WindowState.CLOSED)
    record.state, record.staff, record.since = WindowState.IDLE, "staff1", at(9)
    record.changed()
    assert record.view() == evolve(closed, state=WindowState.IDLE, staff="staff1", since=at(9))
    assert closed.state is WindowState.CLOSED
