"""The hall actor: the single writer of one hall.

Every command, from HTTP, MQTT or a timer, goes through one queue and one task, so two
windows pressing call-next at the same instant can never get the same ticket. The task
takes the commands waiting in its queue as one batch, runs each through the pure core,
stores the batch's events in one transaction (group commit: one fsync for many commands,
each command's events still all-or-nothing), and only then answers the callers and
publishes the events. So nothing is acknowledged that is not on disk, and nothing is shown
that a crash could take back.

When the database write fails, the in-memory hall is ahead of the disk: the actor answers
the batch with `StorageUnavailable` and marks the hall stale; before the next batch it
rebuilds the hall from the store (and keeps answering `StorageUnavailable` while even that
fails), so the state that callers see is always the stored one and the task never dies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from qms.core import codec
from qms.core.commands import Command
from qms.core.errors import QmsError
from qms.core.events import Event
from qms.core.hall import Hall
from qms.core.model import HallConfig, Ticket, Window
from qms.storage.base import Record, Store

from .fanout import Fanout, Subscription
from .writer import SingleWriter

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Pending:
    command: Command
    actor: str
    request_key: str | None
    reply: asyncio.Future[list[Event]] = field(repr=False)


class HallService(SingleWriter[_Pending]):
    """Owns one `Hall`, its store and its fan-out; see the module docstring."""

    what = "the hall"

    def __init__(self, config: HallConfig, store: Store, clock: Clock = system_clock, batch_max: int = 256) -> None:
        super().__init__(batch_max)
        self.seed = config  # the hall file's layout, until a stored ChangeLayout replaces it
        self.store = store
        self.hall = Hall(config)
        self.fanout = Fanout()
        self._clock = clock
        self._last_now = datetime.min.replace(tzinfo=UTC)
        self.stats = {"commands": 0, "batches": 0, "events": 0}

    @property
    def id(self) -> str:
        return self.seed.id

    @property
    def config(self) -> HallConfig:
        """The hall's layout as it stands: the hall file's, or the last one changed (ChangeLayout)."""
        return self.hall.config

    def now(self) -> datetime:
        """The hall's clock, never going backwards (the wall clock may, under NTP)."""
        # in the hall's own zone, so that stored and shown times read as the hall's clock
        now = self._clock().astimezone(self.hall.tz)
        if now < self._last_now:
            now = self._last_now
        self._last_now = now
        return now

    async def start(self) -> None:
        """Rebuild the hall from the store, catch up with the clock, and start taking commands."""
        await self._rebuild()
        now = self.now()
        events = self.hall.advance(now)
        if events:
            await self.store.append(self.id, [self._record(now, None, events, "clock", None)])
        self._start_task(f"hall-{self.id}")

    async def stop(self) -> None:
        """Finish the batch in hand, refuse what is queued, and end subscriptions."""
        await super().stop()
        self.fanout.close()

    async def submit(self, command: Command, *, actor: str = "", request_key: str | None = None) -> list[Event]:
        """Run `command` through the hall; returns its events once they are stored.

        Raises the core's QmsError when the hall refuses it (nothing changed). With a
        `request_key` already used, returns the events of that first request instead.
        """
        reply: asyncio.Future[list[Event]] = asyncio.get_running_loop().create_future()
        events: list[Event] = await self._submit(_Pending(command, actor, request_key, reply))
        return events

    async def committed(self) -> Hall:
        """The hall as stored: waits while a batch is between handling and storing, so that a
        reader never shows what a crash could take back. Read it before the next `await`."""
        await self._wait_settled()
        return self.hall

    def subscribe(self, maxsize: int = 1000) -> Subscription:
        """A live stream of this hall's stored events."""
        return self.fanout.subscribe(maxsize)

    # ---- the writer task ---------------------------------------------------------------

    async def _rebuild(self) -> None:
        # the layout in force when today's business day opened; today's changes replay below
        layout = await self.store.load_layout(self.id)
        hall = Hall(layout or self.seed)
        for event in await self.store.load_events(self.id):
            hall.apply(event)
        self.hall = hall

    def _deadline(self) -> datetime | None:
        return self.hall.next_deadline()

    async def _handle_batch(self, batch: list[_Pending]) -> None:
        now = self.now()
        records: list[Record] = []
        answers: list[tuple[_Pending, list[Event] | QmsError]] = []
        ticks = self.hall.advance(now)
        if ticks:
            records.append(self._record(now, None, ticks, "clock", None))
        keys: dict[str, list[Event]] = {}
        for pending in batch:
            key = pending.request_key
            if key is not None:
                earlier = keys.get(key)
                if earlier is None:
                    stored = await self.store.response_for(self.id, key)
                    earlier = None if stored is None else [codec.event_from_json(d) for d in json.loads(stored)]
                if earlier is not None:
                    answers.append((pending, earlier))
                    continue
            try:
                events = self.hall.handle(pending.command, now)
            except QmsError as err:
                answers.append((pending, err))
                late = self.hall.advance(now)  # clock events held back by the refused command
                if late:
                    records.append(self._record(now, None, late, "clock", None))
                continue
            if key is not None:
                keys[key] = events
            records.append(self._record(now, pending.command, events, pending.actor, key))
            answers.append((pending, events))
        if not await self._store_and_answer(self.store.append(self.id, records) if records else None, answers):
            return
        published: list[Event] = []
        for record in records:
            published.extend(record.events)
        self.stats["commands"] += len(batch)
        self.stats["batches"] += 1
        self.stats["events"] += len(published)
        if published:
            self.fanout.publish(published)

    def _record(
        self, now: datetime, command: Command | None, events: list[Event], actor: str, key: str | None
    ) -> Record:
        tickets: dict[str, Ticket] = {}
        windows: dict[str, Window] = {}
        for event in events:
            ticket_id = getattr(event, "ticket_id", None)
            ticket = getattr(event, "ticket", None)
            if isinstance(ticket, Ticket):
                ticket_id = ticket.id
            if isinstance(ticket_id, str):
                # a ticket expired by the day's rollover is only in yesterday's tickets now
                tickets[ticket_id] = self.hall.yesterday.get(ticket_id) or self.hall.ticket(ticket_id)
            for attr in ("window", "from_window"):
                window_id = getattr(event, attr, None)
                if isinstance(window_id, str):
                    windows[window_id] = self.hall.window(window_id)
        response = json.dumps([codec.event_to_json(ev) for ev in events], ensure_ascii=False) if key else None
        return Record(
            at=now,
            command=command,
            events=tuple(events),
            tickets=tuple(tickets.values()),
            windows=tuple(windows.values()),
            actor=actor,
            request_key=key,
            response=response,
        )
