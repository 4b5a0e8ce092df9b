"""Fan-out of a hall's events to subscribers (websockets now; MQTT and voice later).

Publishing never waits: each subscriber has a bounded queue, and a subscriber that falls
that far behind is cut off (its iterator ends with `overflowed` set) instead of slowing the
hall down. A page that is cut off reconnects and reloads the current state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from qms.core.events import Event

_CLOSED: None = None


class Subscription:
    """One subscriber's view of the event stream; iterate it with `async for`."""

    def __init__(self, fanout: Fanout, maxsize: int) -> None:
        self._fanout = fanout
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.overflowed = False
        self.closed = False

    def _offer(self, event: Event) -> bool:
        if self.closed:
            return False
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self._end()
            return False
        return True

    def _end(self) -> None:
        self.closed = True
        # make room for the end marker so the reader wakes up even when the queue is full
        while self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    def close(self) -> None:
        """Stop receiving events; the iterator ends."""
        if not self.closed:
            self._end()
        self._fanout._subscribers.discard(self)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event


class Fanout:
    """Hands every published event to every live subscription, never blocking."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()

    def subscribe(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, maxsize)
        self._subscribers.add(sub)
        return sub

    def publish(self, events: Sequence[Event]) -> None:
        for sub in list(self._subscribers):
            for event in events:
                if not sub._offer(event):
                    self._subscribers.discard(sub)
                    break

    def close(self) -> None:
        for sub in list(self._subscribers):
            sub.close()

    def __len__(self) -> int:
        return len(self._subscribers)
