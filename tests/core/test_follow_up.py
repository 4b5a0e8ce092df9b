"""Follow-ups of bad ratings: forward only, settled stays settled, a repeat changes nothing."""

from __future__ import annotations

import pytest

from qms.core.errors import InvalidInput, Refused
from qms.core.follow_up import FollowUpStatus, follow_up
from tests.factories import at

CONTACTED, RESOLVED = FollowUpStatus.CONTACTED, FollowUpStatus.RESOLVED


def test_contacted_then_resolved_with_who_and_when() -> None:
    first = follow_up(None, "20261123-A001", 0, CONTACTED, "  电话回访，已致歉 ", "alice", at(10))
    assert first is not None and (first.status, first.note, first.by, first.at) == (
        CONTACTED,
        "电话回访，已致歉",
        "alice",
        at(10),
    )
    assert first.status.label == "已回访" and FollowUpStatus.OPEN.label == "待回访"
    assert follow_up(first, first.ticket_id, 0, CONTACTED, "电话回访，已致歉", "bob", at(11)) is None  # a repeat
    amended = follow_up(first, first.ticket_id, 0, CONTACTED, "再次回访", "bob", at(11))
    assert amended is not None and amended.by == "bob"
    done = follow_up(amended, first.ticket_id, 0, RESOLVED, "已办结", "bob", at(12))
    assert done is not None and done.status is RESOLVED
    assert follow_up(None, "20261123-A002", 1, RESOLVED, "当场解决", "alice", at(10)) is not None  # may skip 已回访


@pytest.mark.parametrize(
    ("status", "note", "code"),
    [
        (FollowUpStatus.OPEN, "x", "invalid_status"),
        (CONTACTED, "   ", "note_missing"),
        (CONTACTED, "长" * 501, "note_too_long"),
    ],
)
def test_bad_input(status: FollowUpStatus, note: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        follow_up(None, "20261123-A001", 0, status, note, "alice", at(10))
    assert err.value.code == code


def test_no_going_back_and_settled_is_final() -> None:
    done = follow_up(None, "20261123-A001", 0, RESOLVED, "已解决", "alice", at(10))
    with pytest.raises(Refused) as err:
        follow_up(done, "20261123-A001", 0, RESOLVED, "改一下", "bob", at(11))
    assert err.value.code == "follow_up_closed"
    contacted = follow_up(None, "20261123-A001", 0, CONTACTED, "已联系", "alice", at(10))
    assert contacted is not None
    with pytest.raises(Refused):
        follow_up(done, "20261123-A001", 0, CONTACTED, "已联系", "bob", at(11))
