"""A dispenser's thermal printer, seen from the bridge: presence and paper from ESC/POS real-time status. No I/O.

ESC/POS printers answer `DLE EOT n` with one status byte at once, even mid-job. The bridge asks
for the printer status (n=1: online/offline) and the roll paper sensor (n=4) once per
`poll_interval`; a printer that has not answered for `lost_after` is down. Every status byte has
bit 1 and bit 4 set and bits 0 and 7 clear, which tells a status byte from line noise.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from firmware_bridge.messages import StatusFlag

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1
PAPER_STATUS = 4
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
_OFFLINE = 0x08  # n=1: printer is offline (cover open, paper out, error)
_PAPER_NEAR_END = 0x0C  # n=4: bits 2 and 3
_PAPER_OUT = 0x60  # n=4: bits 5 and 6


def status_byte(n: int, flags: StatusFlag) -> int:
    """What a printer with `flags` answers to DLE EOT n (for the emulator)."""
    byte = _FIXED_BITS
    if n == PRINTER_STATUS and flags & (StatusFlag.PAPER_OUT | StatusFlag.FAULT):
        byte |= _OFFLINE
    if n == PAPER_STATUS:
        if flags & StatusFlag.PAPER_LOW:
            byte |= _PAPER_NEAR_END
        if flags & StatusFlag.PAPER_OUT:
            byte |= _PAPER_OUT
    return byte


@dataclass(frozen=True, slots=True)
class PrinterUp:
    """The printer answered for the first time since start or since it was lost."""


@dataclass(frozen=True, slots=True)
class PrinterDown:
    """The printer did not answer for `lost_after` seconds."""


@dataclass(frozen=True, slots=True)
class PrinterPaper:
    """The paper or fault flags changed."""

    flags: StatusFlag


PrinterEvent = PrinterUp | PrinterDown | PrinterPaper


@dataclass(slots=True)
class PrinterLink:
    """Presence and paper of one printer on its own port."""

    now: float = 0.0
    poll_interval: float = 1.0
    lost_after: float = 3.0
    present: bool | None = None  # None: not heard yet since start
    flags: StatusFlag = StatusFlag.NONE
    _asked: deque[int] = field(default_factory=deque)
    _next_poll: float = field(init=False)
    _last_heard: float = field(init=False)
    _out: bytearray = field(default_factory=bytearray)
    _offline: bool = False

    def __post_init__(self) -> None:
        self._next_poll = self.now
        self._last_heard = self.now

    @property
    def can_print(self) -> bool:
        """Present, with paper, and not in error."""
        return self.present is True and not self.flags & (StatusFlag.PAPER_OUT | StatusFlag.FAULT)

    def data_to_send(self) -> bytes:
        """Status queries to write now."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def tick(self, now: float) -> list[PrinterEvent]:
        """Polls and presence due at `now`."""
        events: list[PrinterEvent] = []
        if self.present is not False and now - self._last_heard >= self.lost_after:
            self.present = False
            events.append(PrinterDown())
        if now >= self._next_poll:
            self._next_poll = max(self._next_poll + self.poll_interval, now)
            if len(self._asked) > 8:
                self._asked.clear()  # answers that never came; start afresh
            self._asked += (PRINTER_STATUS, PAPER_STATUS)
            self._out += DLE_EOT + bytes((PRINTER_STATUS,)) + DLE_EOT + bytes((PAPER_STATUS,))
        return events

    def next_deadline(self) -> float:
        """When `tick` must run again."""
        if self.present is not False:
            return min(self._next_poll, self._last_heard + self.lost_after)
        return self._next_poll

    def receive(self, data: bytes, now: float) -> list[PrinterEvent]:
        """Bytes the printer sent (status answers)."""
        events: list[PrinterEvent] = []
        flags = self.flags
        for byte in data:
            if byte & _FIXED_MASK != _FIXED_BITS or not self._asked:
                self._asked.clear()  # noise or an answer we did not ask for: realign on the next poll
                continue
            n = self._asked.popleft()
            self._last_heard = now
            if not self.present:
                self.present = True
                events.append(PrinterUp())
            if n == PRINTER_STATUS:
                self._offline = bool(byte & _OFFLINE)
            else:
                flags = StatusFlag.NONE
                if byte & _PAPER_NEAR_END:
                    flags |= StatusFlag.PAPER_LOW
                if byte & _PAPER_OUT:
                    flags |= StatusFlag.PAPER_OUT
                if self._offline and not byte & _PAPER_OUT:
                    flags |= StatusFlag.FAULT  # offline with paper: cover open or a mechanism error
        if flags != self.flags:
            self.flags = flags
            events.append(PrinterPaper(flags))
        return events

    def port_lost(self, now: float) -> list[PrinterEvent]:
        """The port went away."""
        self._asked.clear()
        self._out.clear()
        self._last_heard = now
        if self.present is not False:
            self.present = False
            return [PrinterDown()]
        return []
