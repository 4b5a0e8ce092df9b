"""The storage port: what the hall service needs from a database.

A store keeps, per hall, an append-only log of commands and the events they produced, plus
projection tables (tickets, windows) for queries and reports. One `append` is one
transaction: after it returns, everything in it survives a crash or `kill -9`.
SQLite is the default (`sqlite.SqliteStore`); PostgreSQL can implement the same Protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from qms.core.commands import Command
from qms.core.events import Event, TicketCalled
from qms.core.follow_up import FollowUp, FollowUpStatus
from qms.core.model import HallConfig, Ticket, Window


@dataclass(frozen=True, slots=True)
class Record:
    """One handled command (or a timer tick, `command=None`) with what it changed."""

    at: datetime
    command: Command | None
    events: tuple[Event, ...]
    tickets: tuple[Ticket, ...] = ()  # tickets as they stand after the events
    windows: tuple[Window, ...] = ()
    actor: str = ""
    request_key: str | None = None  # a client's idempotency key, unique per hall
    response: str | None = None  # JSON answer given for request_key, replayed on retry


@dataclass(frozen=True, slots=True)
class StoredCommand:
    """One entry of the command log as read back; `command` is None for a timer tick."""

    seq: int
    at: datetime
    command: Command | None
    actor: str


class Store(Protocol):
    async def open(self) -> None:
        """Create or migrate the schema; must be called once before anything else."""

    async def close(self) -> None:
        """Release the database after the operation under way; closing twice is harmless."""

    async def append(self, hall: str, records: list[Record]) -> None:
        """Store all records in one transaction, or none of them.

        The service batches the commands handled since its last append into one call (group
        commit: one fsync for all). A request_key already stored for the hall, or twice in the
        batch, raises `errors.DuplicateRequest` and nothing of the batch is stored.
        """

    async def load_events(self, hall: str) -> list[Event]:
        """The events of the hall's current business day, from its last DayOpened on, in order.

        A hall that never opened a day gets all its events.
        """

    async def load_layout(self, hall: str) -> HallConfig | None:
        """The layout of the last LayoutChanged event before the current business day's
        DayOpened (the layout that day opened with), or None when it was never changed."""

    async def load_commands(self, hall: str, since: datetime | None = None) -> list[StoredCommand]:
        """The command log from `since` (inclusive) on, oldest first (for replay in the simulator)."""

    async def response_for(self, hall: str, request_key: str) -> str | None:
        """The answer stored for an idempotency key, if that request was already handled."""

    async def tickets(self, hall: str, day: date | None = None) -> list[Ticket]:
        """The hall's tickets as last stored (the projection), one business day if given."""

    async def ratings(self, hall: str, day: date | None = None) -> list[dict[str, Any]]:
        """The hall's ratings (好差评) as stored, one business day if given."""

    async def calls(self, hall: str, day: date) -> list[TicketCalled]:
        """The calls (TicketCalled events) of one business day, in order: who called which ticket."""

    async def follow_ups(self, hall: str, day: date | None = None) -> list[FollowUp]:
        """The recorded follow-ups of bad ratings (差评回访), of one business day's ratings if given."""

    async def save_follow_up(self, hall: str, day: date, follow_up: FollowUp, previous: FollowUpStatus | None) -> bool:
        """Store `follow_up` if the recorded one still has status `previous` (None: none yet),
        in one transaction; False, storing nothing, when it was changed meanwhile."""
