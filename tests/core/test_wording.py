"""Every refusal of a window action that the hall's rules make has its Chinese line for staff."""

from __future__ import annotations

from qms.core import rules
from qms.core.model import TicketState
from qms.core.wording import STAFF_REFUSALS, staff_refusal


def test_every_window_and_ticket_state_refusal_has_a_chinese_line() -> None:
    codes = {code for code, _ in rules._WHY.values()} | {"window_open", "window_not_paused"}
    codes |= {"ticket_" + state.value for state in TicketState}
    assert sorted(codes - STAFF_REFUSALS.keys()) == []


def test_a_code_without_a_line_is_shown_in_english() -> None:
    assert staff_refusal("recall_cooldown", "recall again in 9 s") == "刚刚呼叫过，请稍后再重呼"
    assert staff_refusal("something_new", "something new happened") == "something new happened"
