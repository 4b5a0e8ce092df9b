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


def test_the_type_checker_refuses_assigning_to_a_value(tmp_path):
    """Values are frozen for mypy (what keeps a cached ticket from being changed by a reader)."""
    from mypy import api

    probe = tmp_path / "probe.py"
    probe.write_text(
        "from qms.core.model import Step\n\ndef change(step: Step) -> None:\n    step.window = 'w2'\n",
        encoding="utf-8",
    )
    out, _, status = api.run(["--strict", "--no-error-summary", str(probe)])
    assert status == 1 and 'Property "window" defined in "Step" is read-only' in out
