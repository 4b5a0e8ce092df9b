"""What the displays show, computed from the hall as stored: LED bar text and screen state.

Pure functions of the hall (no I/O); the gateway stamps the `seq` and publishes. A window's
bar shows whom it calls ("请 A023 号"), whom it serves, or that it is paused or closed; a
zone's screen shows its recent calls, and the waiting counts and estimated waits of the
services its windows serve. Screens show ticket numbers only: no citizen's data, even masked.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from qms.contract import DisplayState, QueueCount, RecentCall, ServiceEta
from qms.core.estimate import queues
from qms.core.hall import Hall
from qms.core.model import HallConfig, WindowConfig, WindowState

RECENT_CALLS = 8  # per zone: what fits a waiting-area screen's call list


@dataclass(frozen=True, slots=True)
class DisplayView:
    """A window's display without its seq; `calls` tells a recall (same text) from no change."""

    ticket: str | None
    text: str
    state: DisplayState
    calls: int = 0


def window_view(hall: Hall, config: WindowConfig) -> DisplayView:
    """What window `config`'s LED bar shows now."""
    window = hall.window(config.id)
    ticket = hall.ticket(window.ticket) if window.ticket is not None else None
    number = ticket.number if ticket is not None else None
    state = DisplayState(window.state.value)
    if window.state is WindowState.CALLING and ticket is not None:
        return DisplayView(number, f"请 {number} 号", state, ticket.call_count)
    if window.state is WindowState.SERVING and ticket is not None:
        return DisplayView(number, f"正在办理 {number}", state)
    if window.state is WindowState.PAUSED:
        reason = window.pause_reason.strip()
        return DisplayView(None, f"暂停服务 {reason}" if reason else "暂停服务", state)
    if window.state is WindowState.IDLE:
        return DisplayView(None, f"{config.number}号窗口 欢迎您", state)
    return DisplayView(None, "暂停服务", state)


def zones(config: HallConfig) -> list[str]:
    """The hall's zones (each with its screens), in the order of their first window."""
    return list(dict.fromkeys(w.zone for w in config.windows))


class RecentCalls:
    """The last calls of each zone, newest first; recalls count again (a screen shows them)."""

    def __init__(self, config: HallConfig) -> None:
        self._windows = {w.id: w for w in config.windows}
        self._calls: dict[str, deque[RecentCall]] = {z: deque(maxlen=RECENT_CALLS) for z in zones(config)}

    def add(self, number: str, window_id: str, at: datetime) -> str:
        """Note a call; returns the zone it belongs to ("" for a window the hall no longer has)."""
        w = self._windows.get(window_id)
        if w is None:  # removed on the admin pages after it called this ticket
            return ""
        calls = self._calls[w.zone]
        # a recall moves the ticket to the top instead of listing it twice
        for old in [c for c in calls if c.ticket == number and c.window == window_id]:
            calls.remove(old)
        calls.appendleft(RecentCall(number, w.id, w.number, w.name or f"{w.number}号窗口", at.isoformat()))
        return w.zone

    def seed(self, hall: Hall) -> None:
        """Fill from today's tickets (after a restart): those called, by the time of their call."""
        called = sorted(
            (t for t in hall.tickets() if t.called_at is not None and t.window is not None),
            key=lambda t: t.called_at or t.issued_at,
        )
        for zone in self._calls.values():
            zone.clear()
        for t in called[-RECENT_CALLS * len(self._calls) :]:
            assert t.window is not None and t.called_at is not None
            self.add(t.number, t.window, t.called_at)

    def clear(self) -> None:
        for zone in self._calls.values():
            zone.clear()

    def of(self, zone: str) -> tuple[RecentCall, ...]:
        return tuple(self._calls.get(zone, ()))


def zone_lines(hall: Hall, zone: str, now: datetime) -> tuple[tuple[QueueCount, ...], tuple[ServiceEta, ...]]:
    """Waiting counts and estimated waits of the services that the zone's windows serve."""
    served: set[str] = set()
    for w in hall.config.windows:
        if w.zone == zone:
            served.update(hall.weights[w.id])
    counts: list[QueueCount] = []
    etas: list[ServiceEta] = []
    for q in queues(hall, now):
        if q.service in served:
            counts.append(QueueCount(q.service, q.name, q.prefix, q.waiting))
            etas.append(ServiceEta(q.service, q.eta_minutes))
    return tuple(counts), tuple(etas)
