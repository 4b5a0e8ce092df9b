"""What the displays show, computed from the hall as stored: LED bar text and screen state.

Pure functions of the hall (no I/O); the gateway stamps the `seq` and publishes. A window's
bar shows whom it calls ("请 A023 号"), whom it serves, or that it is paused or closed; a
zone's screen shows its recent calls (`qms.core.screen`), and the waiting counts and estimated waits of the
services its windows serve. Screens show ticket numbers only: no citizen's data, even masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from qms.contract import DisplayState, QueueCount, RecentCall, ServiceEta
from qms.core.estimate import queues
from qms.core.hall import Hall
from qms.core.model import WindowConfig, WindowState
from qms.core.screen import recent_calls

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


def recent_by_zone(hall: Hall) -> dict[str, tuple[RecentCall, ...]]:
    """The last RECENT_CALLS calls of each zone, newest first (a recall brings a ticket back
    to the top, listed once), derived from the stored tickets as the web screens' are."""
    out: dict[str, list[RecentCall]] = {}
    for call in recent_calls(hall, RECENT_CALLS):
        name = call.window_name or f"{call.window_number}号窗口"
        out.setdefault(call.zone, []).append(
            RecentCall(call.number, call.window, call.window_number, name, call.called_at.isoformat())
        )
    return {zone: tuple(calls) for zone, calls in out.items()}


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
