from __future__ import annotations

import json

import pytest

from qms.core import codec
from qms.core import commands as c
from qms.core.errors import InvalidInput
from qms.core.hall import Hall
from qms.core.model import Channel, Escalation, Outcome
from tests.factories import always_open_hall, at


def test_every_event_of_a_busy_morning_round_trips_through_json() -> None:
    hall = Hall(always_open_hall())
    events = hall.handle(c.OpenWindow("w1", "li"), at(9))
    events += hall.handle(c.IssueTicket("social", phone="13812341234"), at(9, 1))
    events += hall.handle(c.IssueTicket("business", channel=Channel.STAFF), at(9, 1))
    events += hall.handle(c.CallNext("w1"), at(9, 2))
    events += hall.handle(c.StartService("w1"), at(9, 3))
    events += hall.handle(c.Transfer("w1", to_service="tax"), at(9, 4))
    events += hall.handle(c.CallNext("w1"), at(9, 5))
    events += hall.handle(c.FinishService("w1", Outcome.ACCEPTED), at(9, 6))
    events += hall.handle(c.IssueTicket("help", escalation=Escalation("20261123-A001", "w1")), at(9, 7))
    events += hall.handle(c.PauseWindow("w1", "培训"), at(9, 8))
    for event in events:
        data = json.loads(json.dumps(codec.event_to_json(event), ensure_ascii=False))
        assert codec.event_from_json(data) == event


def test_commands_round_trip() -> None:
    command = c.IssueTicket("social", channel=Channel.BOOKING, appointment_at=at(10), escalation=None)
    assert codec.command_from_json(codec.command_to_json(command)) == command


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Nope"},
        {"type": "WindowOpened", "window": "w1", "staff": "li"},
        {"type": "WindowOpened", "window": "w1", "staff": 3, "at": "2026-11-23T09:00:00+08:00"},
        {"type": "WindowOpened", "window": "w1", "staff": "li", "at": "2026-11-23T09:00:00"},
        {"type": "WindowOpened", "window": "w1", "staff": "li", "at": "2026-11-23T09:00:00+08:00", "x": 1},
        {"type": "TicketNoShow", "ticket_id": "t", "window": "w", "at": "2026-11-23T09:00:00+08:00", "automatic": 1},
        "not an object",
    ],
)
def test_bad_payloads_are_refused_clearly(data: object) -> None:
    with pytest.raises(InvalidInput):
        codec.event_from_json(data)  # type: ignore[arg-type]
