"""`@value`: the core's values compare and hash by their fields, like frozen dataclasses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from qms.core import events as e
from qms.core.model import Outcome, Step


def test_values_compare_hash_and_replace_by_their_fields():
    at = datetime(2026, 11, 23, 9, tzinfo=UTC)
    a = Step("s1", "w1", Outcome.COMPLETED, at, at, at)
    b = Step("s1", "w1", Outcome.COMPLETED, at, at, at)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    c = dataclasses.replace(a, window="w2")
    assert c != a and c.window == "w2" and a.window == "w1"
    assert [f.name for f in dataclasses.fields(e.TicketCalled)][:3] == ["ticket_id", "window", "staff"]
    assert not hasattr(a, "__dict__")  # slotted: no stray attributes
