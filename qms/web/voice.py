"""The hall's voice over HTTP: announcement audio, the announcement stream, the queues' status.

- `GET /halls/{hall}/voice`: the voice's status (engine, pack, each zone's queue and what it
  dropped) - what a hall manager checks when the speakers are quiet.
- `GET /halls/{hall}/voice/{id}.wav`: the audio of a recent announcement (kept for the last
  64), as 16-bit mono PCM WAV.
- `GET /halls/{hall}/voice/stream?zone=main` (websocket): a `hello` with the zones, then each
  announcement of that zone (every zone without `zone=`) when its turn to play comes, as
  `Announcement.to_json()` gives it. A player plays each in full before the next.

The announcers live on `app.state.voice` (hall id to `Announcer`), set by the runtime; a hall
without one answers 404 `voice_off`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from qms.core.errors import NotFound
from qms.voice.announcer import Announcement, Announcer

from .errors import JSON
from .state import hall_service

log = logging.getLogger(__name__)

ANNOUNCEMENT_ID = re.compile(r"[0-9a-f]{6}-[0-9]{1,12}")
UNKNOWN = 4404
OVERFLOWED = 1013
STREAM_QUEUE = 100  # announcements a slow player may fall behind before it is cut off


def routes() -> list[BaseRoute]:
    """The voice routes, under the API prefix."""
    return [
        Route("/halls/{hall}/voice", status, methods=["GET"]),
        Route("/halls/{hall}/voice/{announcement}.wav", audio, methods=["GET"]),
        WebSocketRoute("/halls/{hall}/voice/stream", stream),
    ]


def announcers(conn: Request | WebSocket) -> Mapping[str, Announcer]:
    return cast(Mapping[str, Announcer], getattr(conn.app.state, "voice", {}))


def _announcer(request: Request) -> Announcer:
    service = hall_service(request)  # 404 unknown_hall first
    announcer = announcers(request).get(service.id)
    if announcer is None:
        raise NotFound(f"hall {service.id!r} has no voice calling", code="voice_off")
    return announcer


async def status(request: Request) -> Response:
    return JSON(_announcer(request).status())


async def audio(request: Request) -> Response:
    announcer = _announcer(request)
    announcement_id = request.path_params["announcement"]
    wav = announcer.audio(announcement_id) if ANNOUNCEMENT_ID.fullmatch(announcement_id) else None
    if wav is None:
        raise NotFound(f"no recent announcement {announcement_id!r}", code="unknown_announcement")
    # an announcement's audio never changes: players and browsers may keep it
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "public, max-age=3600, immutable"})


class StreamSink:
    """One websocket client's announcements, queued without blocking the announcer."""

    def __init__(self, zone: str | None) -> None:
        self.zone = zone
        self.queue: asyncio.Queue[Announcement] = asyncio.Queue(STREAM_QUEUE)
        self.overflowed = False

    def deliver(self, announcement: Announcement) -> None:
        if self.zone is not None and announcement.zone != self.zone:
            return
        try:
            self.queue.put_nowait(announcement)
        except asyncio.QueueFull:
            self.overflowed = True


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


async def stream(ws: WebSocket) -> None:
    announcer = announcers(ws).get(ws.path_params["hall"])
    if announcer is None:
        await ws.close(code=UNKNOWN, reason="unknown hall or no voice calling")
        return
    zone = ws.query_params.get("zone") or None
    if zone is not None and zone not in announcer.zones:
        await ws.close(code=UNKNOWN, reason=f"unknown zone {zone}"[:120])
        return
    await ws.accept()
    sink = StreamSink(zone)
    announcer.add_sink(sink)

    async def watch_client() -> None:
        # the client only ever closes; reading is how its going away is noticed
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass

    watcher = asyncio.create_task(watch_client(), name=f"voice-ws-{announcer.hall}")
    try:
        await ws.send_text(_dumps({"type": "hello", "hall": announcer.hall, "zone": zone, "zones": announcer.zones}))
        while not watcher.done():
            if sink.overflowed:
                await ws.close(code=OVERFLOWED)
                break
            getter = asyncio.create_task(sink.queue.get())
            await asyncio.wait({getter, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                break
            await ws.send_text(_dumps(getter.result().to_json()))
    except WebSocketDisconnect:
        pass
    finally:
        announcer.remove_sink(sink)
        watcher.cancel()
        await asyncio.wait({watcher})  # wait(), not await: our own cancellation must not be swallowed
        if not watcher.cancelled() and watcher.exception() is not None:
            log.debug("voice stream of %s: reader ended with %r", announcer.hall, watcher.exception())
