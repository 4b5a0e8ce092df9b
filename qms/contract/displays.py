"""Payloads of the displays' topics (contract version 1): what LED bars, screens and speakers get.

`window/<win>/display` and `screen/<zone>` are retained state with a `seq`; `voice/<zone>` is an
event (never retained). Like every payload, they validate themselves; see `payloads`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .payloads import _check_count, _check_text, _Json


class DisplayState(StrEnum):
    """What a window is doing, as its LED bar shows it."""

    CLOSED = "closed"
    IDLE = "idle"
    CALLING = "calling"
    SERVING = "serving"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class WindowDisplay(_Json):
    """`window/<win>/display` (retained). `seq` grows with every new state of the topic
    (about the milliseconds since the epoch, +1 within the same millisecond; the server may run
    up to an hour ahead of its clock to stay above what it sent before a restart, so a display
    compares seqs and never reads them as times): a display drops a frame
    whose seq is not above the last one it showed, so a late or repeated one is harmless."""

    seq: int
    ticket: str | None  # the ticket number at the window ("A023"), if any
    text: str  # what the bar shows: "请 A023 号", "暂停服务", ...
    state: DisplayState

    def __post_init__(self) -> None:
        _check_count("seq", self.seq)
        _check_text("text", self.text)


@dataclass(frozen=True, slots=True)
class RecentCall(_Json):
    """One recent call on a screen: ticket number, window id, number and name, when."""

    ticket: str
    window: str
    window_number: int
    window_name: str
    at: str  # ISO 8601


@dataclass(frozen=True, slots=True)
class QueueCount(_Json):
    """One service's line on a screen."""

    service: str
    name: str
    prefix: str
    waiting: int

    def __post_init__(self) -> None:
        _check_count("waiting", self.waiting)


@dataclass(frozen=True, slots=True)
class ServiceEta(_Json):
    """The estimated wait in minutes for a ticket of `service` taken now (None: unknown)."""

    service: str
    minutes: int | None


@dataclass(frozen=True, slots=True)
class ScreenState(_Json):
    """`screen/<zone>` (retained): the zone's recent calls (newest first), its services'
    waiting counts and estimated waits. No citizen data: tickets are shown by number."""

    seq: int
    recent: tuple[RecentCall, ...]
    waiting: tuple[QueueCount, ...]
    eta: tuple[ServiceEta, ...]

    def __post_init__(self) -> None:
        _check_count("seq", self.seq)


@dataclass(frozen=True, slots=True)
class VoiceAnnouncement(_Json):
    """`voice/<zone>` (not retained): a call for the zone's speakers."""

    seq: int
    text: str
    audio_url: str | None = None

    def __post_init__(self) -> None:
        _check_count("seq", self.seq)
        _check_text("text", self.text)
