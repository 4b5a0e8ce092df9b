"""The two halves of a session with one peer: what it sent us (de-duplication), what we send it (stop-and-wait).

Both ends of the link, the bridge and a device, use these. Time is an argument (seconds on any
monotonic clock), so the link layers stay free of I/O and can be tested and fuzzed as plain code.

Sequence numbers: each sender numbers the frames it originates 0..255 and wraps; a retransmission
keeps its number. A receiver accepts a number that is newer than the last one it accepted, in
serial-number arithmetic (RFC 1982: up to 127 ahead), and answers an older or equal one with an ACK
but no event, so a retransmission after a lost ACK, or a replayed frame, never counts twice.
A HELLO with a new nonce starts a new session and forgets the last number, because a rebooted
device (or restarted bridge) counts from wherever it likes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from firmware_bridge.frames import Frame
from firmware_bridge.messages import Hello, Message, encode

M = TypeVar("M", bound=Message)


@dataclass(slots=True)
class Inbound:
    """De-duplication of the frames one peer originates."""

    nonce: int | None = None
    last_seq: int | None = None

    def hello(self, hello: Hello, seq: int) -> bool:
        """A HELLO arrived. True if it opens a new session (a new nonce), not a repeat of the current one."""
        if hello.nonce == self.nonce:
            return self.accept(seq)
        self.nonce = hello.nonce
        self.last_seq = seq
        return True

    def accept(self, seq: int) -> bool:
        """True if `seq` is new: the frame is acted on. False for a retransmission or a replay."""
        if self.last_seq is not None and not 0 < (seq - self.last_seq) % 256 < 128:
            return False
        self.last_seq = seq
        return True


@dataclass(slots=True)
class InFlight(Generic[M]):
    """The one originated frame waiting for its ACK."""

    token: int
    message: M
    frame: Frame
    sent_at: float
    tries: int = 1


@dataclass(slots=True)
class Outbound(Generic[M]):
    """Stop-and-wait delivery to one peer: one frame in flight, the rest queued in order."""

    address: int
    next_seq: int
    retry_after: float
    max_tries: int
    queue: deque[tuple[int, M]] = field(default_factory=deque)
    in_flight: InFlight[M] | None = None

    def put(self, token: int, message: M, *, first: bool = False) -> None:
        """Queue a message; `first` puts it ahead of the others (a HELLO must precede commands)."""
        if first:
            self.queue.appendleft((token, message))
        else:
            self.queue.append((token, message))

    def launch(self, now: float) -> Frame | None:
        """If nothing is in flight, take the next message and return its frame to send."""
        if self.in_flight is not None or not self.queue:
            return None
        token, message = self.queue.popleft()
        kind, payload = encode(message)
        frame = Frame(self.address, kind, self.next_seq, payload)
        self.next_seq = (self.next_seq + 1) % 256
        self.in_flight = InFlight(token, message, frame, now)
        return frame

    def acked(self, seq: int) -> InFlight[M] | None:
        """An ACK with `seq` arrived: the frame in flight is done if it is the one acknowledged."""
        flight = self.in_flight
        if flight is None or flight.frame.seq != seq:
            return None  # a late ACK of something we already gave up on
        self.in_flight = None
        return flight

    def retry(self, now: float) -> tuple[Frame | None, InFlight[M] | None]:
        """Due retransmission: (frame to send again, None), or (None, the flight given up on), or (None, None)."""
        flight = self.in_flight
        if flight is None or now - flight.sent_at < self.retry_after:
            return None, None
        if flight.tries >= self.max_tries:
            self.in_flight = None
            return None, flight
        flight.tries += 1
        flight.sent_at = now
        return flight.frame, None

    def deadline(self) -> float | None:
        """When `retry` has something to do."""
        return None if self.in_flight is None else self.in_flight.sent_at + self.retry_after

    def drop_all(self) -> list[tuple[int, M]]:
        """Forget everything queued and in flight (the peer is gone); returns what was dropped."""
        dropped = list(self.queue)
        if self.in_flight is not None:
            dropped.insert(0, (self.in_flight.token, self.in_flight.message))
        self.queue.clear()
        self.in_flight = None
        return dropped
