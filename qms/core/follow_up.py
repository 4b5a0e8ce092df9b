"""Follow-ups of bad ratings (差评回访): every 不满意 or 非常不满意 is followed up by staff.

A bad rating starts 待回访 (open); staff record that they contacted the citizen (已回访) and
then that the matter is settled (已办结), each time with a note, and who did it and when stay
on the follow-up. The status only moves forward, it may skip 已回访, and once 已办结 nothing
changes any more. Sending the same status and note again changes nothing and is no error,
so that a retried request is harmless.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from .errors import InvalidInput, Refused
from .value import value

NOTE_MAX = 500


class FollowUpStatus(StrEnum):
    OPEN = "open"  # 待回访
    CONTACTED = "contacted"  # 已回访
    RESOLVED = "resolved"  # 已办结

    @property
    def label(self) -> str:
        """The status in the hall's words: 待回访, 已回访, 已办结."""
        return _LABELS[self]


_LABELS = {FollowUpStatus.OPEN: "待回访", FollowUpStatus.CONTACTED: "已回访", FollowUpStatus.RESOLVED: "已办结"}


@value
class FollowUp:
    """Where the follow-up of the rating of step `step` of `ticket_id` stands, and who moved it last."""

    ticket_id: str
    step: int
    status: FollowUpStatus
    note: str
    by: str
    at: datetime


def follow_up(
    current: FollowUp | None, ticket_id: str, step: int, status: FollowUpStatus, note: str, by: str, now: datetime
) -> FollowUp | None:
    """The follow-up after staff member `by` records `status` with `note`; None when it is
    exactly what is recorded already (nothing to store). Refused when it would change a
    settled one (the status never goes back: only 已回访 and 已办结 are recorded);
    InvalidInput for an empty or too long note or the status 待回访."""
    note = note.strip()
    if status is FollowUpStatus.OPEN:
        raise InvalidInput("a follow-up records 已回访 (contacted) or 已办结 (resolved)", code="invalid_status")
    if not note:
        raise InvalidInput("say in a note what was done (回访情况)", code="note_missing")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"a note has at most {NOTE_MAX} characters", code="note_too_long")
    if current is not None:
        if current.status == status and current.note == note:
            return None
        if current.status is FollowUpStatus.RESOLVED:
            raise Refused(
                f"this bad rating was settled (已办结) by {current.by}: it cannot change any more",
                code="follow_up_closed",
            )
    return FollowUp(ticket_id, step, status, note, by, now)
