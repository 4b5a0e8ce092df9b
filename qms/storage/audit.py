"""The audit log: who changed what in a hall's set-up, when, from what to what.

One row per change, written in the same transaction as the change itself: layout changes by
`SqliteStore.append` (a projection of the LayoutChanged events, like the ratings table), staff
accounts and devices by `SqliteAdminStore`. `kind` names the admin page the change belongs to, so the
audit page can filter by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from qms.core.events import LayoutChanged

from .base import Record

KINDS = ("services", "windows", "hours", "policy", "booking", "staff", "devices", "hall")
# the first word of a LayoutChange's subject -> the kind of its audit row
_KIND_OF_SUBJECT = {"service": "services", "window": "windows", "hours": "hours", "policy": "policy"}

INSERT_AUDIT = (
    "INSERT INTO audit (hall, at, at_utc, actor, kind, subject, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)

Row = tuple[str, str, str, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row as read back."""

    seq: int
    hall: str
    at: datetime
    actor: str
    kind: str
    subject: str
    before: str
    after: str


def audit_row(hall: str, at: datetime, actor: str, kind: str, subject: str, before: str, after: str) -> Row:
    """The values of one audit row, for INSERT_AUDIT."""
    if at.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    at_utc = at.astimezone(UTC).isoformat(timespec="microseconds")
    return (hall, at.isoformat(), at_utc, actor, kind, subject, before, after)


def layout_rows(hall: str, records: Sequence[Record]) -> list[Row]:
    """One audit row per changed part of every LayoutChanged event of a batch."""
    rows: list[Row] = []
    for record in records:
        for event in record.events:
            if isinstance(event, LayoutChanged):
                for change in event.changes:
                    kind = _KIND_OF_SUBJECT.get(change.subject.split(" ", 1)[0], "policy")
                    if change.subject in ("name", "name_en"):
                        kind = "hall"
                    rows.append(
                        audit_row(hall, event.at, event.actor, kind, change.subject, change.before, change.after)
                    )
    return rows
