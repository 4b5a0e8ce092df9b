"""The hall's working records of its tickets and windows: mutable, private to `hall.Hall`.

Why they exist: a ticket changes three or four times on its way through the hall (called,
started, finished), and copying a frozen 23-field `Ticket` at each change cost more than
the rest of the command together. The hall therefore keeps one mutable record per ticket
and per window, changes it in place while it applies an event, and hands out the frozen
`Ticket` and `Window` values on demand: made at the first read after a change and cached,
so a reader still holds a value that never changes under it, and a simulated day that
never reads pays nothing for them.

Whoever changes a record calls `changed()`, which drops the cached value.
"""

from __future__ import annotations

from datetime import datetime

from .model import Outcome, Step, Ticket, TicketState, Window, WindowConfig, WindowKind, WindowState


class TicketRecord:
    """A ticket as the hall works on it: what never changes sits in `issued` (the ticket as it
    was issued), what changes on the way sits here."""

    __slots__ = (
        "_view",
        "call_count",
        "called_at",
        "finished_at",
        "first_called_at",
        "issued",
        "outcome",
        "queued_at",
        "seq",
        "service",
        "staff",
        "started_at",
        "state",
        "steps",
        "target_window",
        "window",
    )

    def __init__(self, ticket: Ticket, seq: int) -> None:
        self.issued = ticket
        self.seq = seq  # order of issue today: ties in line go to the earlier ticket
        self.state: TicketState = ticket.state
        self.service: str = ticket.service
        self.queued_at: datetime = ticket.queued_at
        self.target_window: str | None = ticket.target_window
        self.window: str | None = ticket.window
        self.staff: str | None = ticket.staff
        self.called_at: datetime | None = ticket.called_at
        self.first_called_at: datetime | None = ticket.first_called_at
        self.call_count: int = ticket.call_count
        self.started_at: datetime | None = ticket.started_at
        self.finished_at: datetime | None = ticket.finished_at
        self.outcome: Outcome | None = ticket.outcome
        self.steps: tuple[Step, ...] = ticket.steps
        self._view: Ticket | None = ticket

    def changed(self) -> None:
        """Forget the cached frozen value: the record was changed."""
        self._view = None

    def view(self) -> Ticket:
        """The ticket as it stands now, as a frozen value."""
        view = self._view
        if view is None:
            t = self.issued
            view = self._view = Ticket(
                t.id,
                t.number,
                self.service,
                t.channel,
                t.priority,
                self.state,
                t.issued_at,
                self.queued_at,
                self.target_window,
                self.window,
                self.staff,
                self.called_at,
                self.call_count,
                self.started_at,
                self.finished_at,
                self.outcome,
                self.steps,
                t.appointment_at,
                t.id_masked,
                t.phone_masked,
                t.escalation,
                t.note,
                self.first_called_at,
            )
        return view


class WindowRecord:
    """A window as the hall works on it."""

    __slots__ = ("_view", "id", "kind", "number", "pause_reason", "since", "staff", "state", "ticket")

    def __init__(self, config: WindowConfig) -> None:
        self.id: str = config.id
        self.number: int = config.number
        self.kind: WindowKind = config.kind
        self.state: WindowState = WindowState.CLOSED
        self.staff: str | None = None
        self.ticket: str | None = None
        self.pause_reason: str = ""
        self.since: datetime | None = None
        self._view: Window | None = None

    def changed(self) -> None:
        """Forget the cached frozen value: the record was changed."""
        self._view = None

    def view(self) -> Window:
        """The window as it stands now, as a frozen value."""
        view = self._view
        if view is None:
            view = self._view = Window(
                self.id, self.number, self.kind, self.state, self.staff, self.ticket, self.pause_reason, self.since
            )
        return view
