"""Device events the server has not answered yet, sent again until it does.

The broker's PUBACK says only that the broker has an event, not that the server got it: a
broker that restarts drops what it held, and while the server is reconnecting (it subscribes
with a clean session) an event goes to nobody. The device was told OK, so the bridge keeps each
event until the server's `dev/<dev>/ack` with its `msg_id` comes and publishes it again, the
same `msg_id`, until then; the server takes a repeated `msg_id` once (its request key) and
answers it again. An event still unanswered after `give_up_after` seconds is dropped with a
warning: by then the person at the window has pressed again, and a call-next acted on minutes
late would call a citizen nobody at the window expects. `outbox` keeps the same events on disk,
so that a restarted bridge goes on sending them, within the same bound.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

RESEND_AFTER = 1.0  # seconds without the server's answer before an event is sent again
GIVE_UP_AFTER = 30.0
KEPT = 1024  # events at most; the oldest goes first


@dataclass(slots=True)
class Unsent:
    """One event waiting for the server's answer."""

    device: str
    topic: str
    payload: bytes
    first_sent: float
    last_sent: float


class Unanswered:
    """Events by `msg_id`, oldest first."""

    def __init__(
        self, resend_after: float = RESEND_AFTER, give_up_after: float = GIVE_UP_AFTER, kept: int = KEPT
    ) -> None:
        self.resend_after = resend_after
        self.give_up_after = give_up_after
        self._kept = kept
        self._events: OrderedDict[str, Unsent] = OrderedDict()

    def __len__(self) -> int:
        return len(self._events)

    def sent(self, msg_id: str, device: str, topic: str, payload: bytes, now: float) -> list[str]:
        """An event the broker has (PUBACK); the msg_ids of the oldest events no longer kept."""
        return self._add(msg_id, Unsent(device, topic, payload, now, now))

    def restored(self, msg_id: str, device: str, topic: str, payload: bytes, first_sent: float) -> list[str]:
        """An event kept from before a restart: due to be sent again at once."""
        return self._add(msg_id, Unsent(device, topic, payload, first_sent, float("-inf")))

    def _add(self, msg_id: str, event: Unsent) -> list[str]:
        self._events[msg_id] = event
        forgotten: list[str] = []
        while len(self._events) > self._kept:
            forgotten.append(self._events.popitem(last=False)[0])
        return forgotten

    def answered(self, msg_id: str) -> None:
        """The server's ack for `msg_id` came."""
        self._events.pop(msg_id, None)

    def due(self, now: float) -> tuple[list[tuple[str, Unsent]], list[tuple[str, Unsent]]]:
        """(events to send again now, marked as sent; events given up, forgotten)."""
        again: list[tuple[str, Unsent]] = []
        dropped: list[tuple[str, Unsent]] = []
        for msg_id, event in list(self._events.items()):
            if now - event.first_sent >= self.give_up_after:
                dropped.append((msg_id, self._events.pop(msg_id)))
            elif now - event.last_sent >= self.resend_after:
                event.last_sent = now
                again.append((msg_id, event))
        return again, dropped
