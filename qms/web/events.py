"""`/halls/{hall}/events`: the hall's live event stream over a websocket (public, read-only).

On connect the client gets a snapshot (`{"type": "snapshot", "windows": [...], "queues":
[...], "calls": [...], "header": {...}}`, `calls` being the last calls of each zone, newest
first, as the waiting-area screens list them, and `header` what their header shows of the
layout, `screen.screen_header`), then every stored event as `event_to_json` gives it; a
`TicketCalled` also carries the ticket's `number`, which the screens show. The subscription is taken and
the snapshot computed with no `await` between them, so on the single event loop no event
can fall between the two: each event that follows applies to the snapshot's state.

Close codes tell the page what to do: 1013 (try again later) when the client fell too far
behind and was cut off, 1012 (service restart) when the hall stopped; in both cases it
reconnects and gets a fresh snapshot. Messages from the client are read and ignored, only
to notice when it goes away.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from qms.core.codec import event_to_json
from qms.core.estimate import queues
from qms.core.events import Event, LayoutChanged, TicketCalled
from qms.service import HallService

from .payloads import queue_view, window_view
from .screen import screen_header, snapshot_calls, ticket_number
from .state import web_state

log = logging.getLogger(__name__)

OVERFLOWED = 1013  # "try again later": reconnect and reload the state
HALL_STOPPED = 1012  # "service restart"
UNKNOWN_HALL = 4404  # application range (4000-4999): no such hall
INTERNAL_ERROR = 1011


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


PRIVATE_TICKET_FIELDS = ("id_masked", "phone_masked", "note")


def public_event(event: Event) -> dict[str, Any]:
    """An event as the public stream shows it: without a citizen's (even masked) identifiers
    or the staff's note, which the waiting-area screens have no business with."""
    if isinstance(event, LayoutChanged):  # who changed what is for the audit log; pages reload the layout
        return {"type": "LayoutChanged", "at": event.at.isoformat(), "part": event.part}
    data = event_to_json(event)
    ticket = data.get("ticket")
    if isinstance(ticket, dict):
        for name in PRIVATE_TICKET_FIELDS:
            ticket.pop(name, None)
    return data


def snapshot(service: HallService) -> dict[str, Any]:
    """The hall's windows and queues now, as the first message of a connection."""
    hall, now = service.hall, service.now()
    return {
        "type": "snapshot",
        "hall": service.id,
        "at": now.isoformat(),
        "windows": [window_view(hall, w) for w in hall.windows()],
        "queues": [queue_view(q) for q in queues(hall, now)],
        "calls": snapshot_calls(hall),
        "header": screen_header(hall.config),
    }


def stream_event(service: HallService, event: Event) -> dict[str, Any]:
    """An event as the stream sends it: the public form, and a call with the ticket's number."""
    data = public_event(event)
    if isinstance(event, TicketCalled):
        data["number"] = ticket_number(service.hall, event.ticket_id)
    return data


async def hall_events(ws: WebSocket) -> None:
    state = web_state(ws)
    service = state.services.get(ws.path_params["hall"])
    if service is None:
        await ws.close(code=UNKNOWN_HALL, reason="unknown hall")
        return
    await ws.accept()
    await service.committed()  # the snapshot must not show a batch whose events come later
    subscription = service.subscribe(state.subscriber_queue)
    first = snapshot(service)  # no await since committed() and subscribe: see the module docstring
    gone = False

    async def watch_client() -> None:
        # Ending the subscription is what stops the sending loop below when the client goes.
        nonlocal gone
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass
        gone = True
        subscription.close()

    watcher = asyncio.create_task(watch_client(), name=f"ws-{service.id}")
    try:
        await ws.send_text(_dumps(first))
        async for event in subscription:
            await ws.send_text(_dumps(stream_event(service, event)))
        if not gone:
            await ws.close(code=OVERFLOWED if subscription.overflowed else HALL_STOPPED)
    except WebSocketDisconnect:
        pass  # the client went while we were sending
    except Exception:
        log.exception("hall %s: event stream failed", service.id)
        if ws.application_state is WebSocketState.CONNECTED and not gone:
            await ws.close(code=INTERNAL_ERROR)
    finally:
        subscription.close()
        watcher.cancel()
        # wait() rather than `await watcher`: our own cancellation must not be swallowed
        await asyncio.wait({watcher})
        if not watcher.cancelled() and watcher.exception() is not None:
            log.debug("hall %s: websocket reader ended with %r", service.id, watcher.exception())
