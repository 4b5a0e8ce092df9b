"""`/halls/{hall}/screen`: the waiting-area screen (综合屏 / 等候区电视), served by the server.

The page is HTML and plain JavaScript (`static/screen/`, no build step). The server renders
the page with its settings (the zone, the time zone, the URLs) and a first header; everything
live comes over the hall's events websocket, whose first message, the snapshot, carries the
recent calls (`calls`, below) and the header (`screen_header`: the hall's names, the windows
each zone calls to), so that a screen that has just (re)connected shows the current state at
once. A layout change (`LayoutChanged`) makes the page connect again, and the new snapshot
redraws the header: a screen on a wall for weeks shows the windows as they are numbered now.
In halls with a TV box, `displays/`' screen process serves the same page from MQTT instead
(see `static/screen/render.js` for the view both transports feed it).

The public stream strips citizens' identifiers, and the page shows no more than the
stream carries: tickets, windows and queues, never an ID number or a phone.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from qms.core.errors import NotFound
from qms.core.hall import Hall
from qms.core.model import HallConfig
from qms.core.screen import RECENT_CALLS, Call, recent_calls

from .state import web_state
from .templating import error_page, no_hall_page, templates

RECENT_SHOWN = 7  # the call shown large, and the six before it
QUEUE_FILTERS = ("all", "waiting")  # every service of the zone, or those with people waiting
PAGE_SECONDS, MIN_PAGE_SECONDS, MAX_PAGE_SECONDS = 8, 2, 120  # how long a page of queues stays
SOUND_OPTIONS = ("on", "off")  # the zone's calls spoken by the screen itself, or by a player PC


def call_view(call: Call) -> dict[str, Any]:
    """A recent call as the snapshot and the screens show it."""
    return {
        "ticket": call.ticket,
        "number": call.number,
        "service": call.service,
        "window": call.window,
        "window_number": call.window_number,
        "window_name": call.window_name,
        "zone": call.zone,
        "called_at": call.called_at.isoformat(),
        "call_count": call.call_count,
    }


def snapshot_calls(hall: Hall) -> list[dict[str, Any]]:
    """The last calls of every zone, for the snapshot of the events websocket."""
    return [call_view(c) for c in recent_calls(hall, RECENT_CALLS)]


def ticket_number(hall: Hall, ticket_id: str) -> str | None:
    """A ticket's number, also for yesterday's tickets (an event sent just after the day turned)."""
    try:
        return hall.ticket(ticket_id).number
    except NotFound:
        ticket = hall.yesterday.get(ticket_id)
        return None if ticket is None else ticket.number


def _ranges(numbers: list[int]) -> str:
    """`[1, 2, 3, 7, 9, 10]` -> `1-3, 7, 9-10`."""
    out: list[str] = []
    for n in sorted(numbers):
        if out and out[-1].split("–")[-1] == str(n - 1):
            out[-1] = out[-1].split("–")[0] + "–" + str(n)
        else:
            out.append(str(n))
    return ", ".join(out)


def zone_label(config: HallConfig, zone: str) -> dict[str, str]:
    """What the screen's header says about its zone: the floor when its windows share one,
    and the windows it calls to, since zones have ids rather than names."""
    windows = [w for w in config.windows if w.zone == zone]
    if not windows:  # its last window was removed while its screen hangs on the wall
        return {"zh": f"{zone} 区 · 暂无窗口", "en": f"Zone {zone} · no windows"}
    floors = {w.floor for w in windows}
    numbers = _ranges([w.number for w in windows])
    if len(floors) == 1 and None not in floors:
        floor = floors.pop()
        return {"zh": f"{floor}楼 · {numbers}号窗口", "en": f"Floor {floor} · windows {numbers}"}
    return {"zh": f"{zone} 区 · {numbers}号窗口", "en": f"Zone {zone} · windows {numbers}"}


def whole_hall(config: HallConfig) -> dict[str, str]:
    """The header of a screen that shows every zone."""
    numbers = _ranges([w.number for w in config.windows])
    return {"zh": f"全部窗口 · {numbers}号", "en": f"All windows · {numbers}"}


def screen_header(config: HallConfig) -> dict[str, Any]:
    """What a screen's header shows of the layout: the hall's names, and the windows that each
    zone's screen (`zones`) and a whole-hall screen (`all`) call to. The page renders it at
    load and the snapshot carries it, so the header follows the admin's changes."""
    return {
        "name": config.name,
        "name_en": config.name_en,
        "all": whole_hall(config),
        "zones": {zone: zone_label(config, zone) for zone in config.zones()},
    }


def _bad_option(request: Request, name: str, value: str, expected: str, expected_en: str) -> Response:
    return error_page(
        request,
        400,
        ("屏幕网址有误", "Wrong screen address"),
        (f"参数 {name}={value} 无效：应为{expected}。", f"{name}={value!r} is not valid: expected {expected_en}."),
    )


async def screen_page(request: Request) -> Response:
    """`GET /halls/{hall}/screen?zone=&queues=&rotate=&sound=`: the screen of one zone (of the whole
    hall without `zone`); `queues=waiting` lists only services with people waiting, `rotate` is how
    many seconds a page of queues stays when they need more than one; `sound=off` keeps a zone's
    screen silent (its calls are spoken by a player PC), `sound=on` makes a whole-hall screen speak
    every zone's calls (a zone's screen, or the whole-hall screen of a hall with one zone, speaks
    by default when the hall has voice calling)."""
    hall_id = request.path_params["hall"]
    service = web_state(request).services.get(hall_id)
    if service is None:
        return no_hall_page(request, hall_id, ("屏幕", "screen"))
    config = service.config
    zones = config.zones()
    params = request.query_params
    zone = params.get("zone") or None
    if zone is not None and zone not in zones:
        return error_page(
            request,
            404,
            ("没有这个区域", "No such zone"),
            (
                f"{config.name}没有「{zone}」区域。可用的区域：{'、'.join(zones)}。",
                f"{config.name_en or config.id} has no zone {zone!r}. Zones: {', '.join(zones)}.",
            ),
        )
    queues = params.get("queues") or "all"
    if queues not in QUEUE_FILTERS:
        return _bad_option(request, "queues", queues, "all 或 waiting", "all or waiting")
    rotate = params.get("rotate") or str(PAGE_SECONDS)
    if not rotate.isdigit() or not MIN_PAGE_SECONDS <= int(rotate) <= MAX_PAGE_SECONDS:
        expected = f"{MIN_PAGE_SECONDS}–{MAX_PAGE_SECONDS}"
        return _bad_option(request, "rotate", rotate, f"{expected} 秒", f"{expected} seconds")
    # A whole-hall screen of a hall with several zones is silent unless asked: each zone's calls
    # are spoken in that zone, and one screen saying every zone's calls in turn falls behind.
    sound = params.get("sound") or ("on" if zone is not None or len(zones) == 1 else "off")
    if sound not in SOUND_OPTIONS:
        return _bad_option(request, "sound", sound, "on 或 off", "on or off")
    settings = {
        "hall": config.id,
        "zone": zone,
        "timezone": config.timezone,
        "events": f"/api/v1/halls/{config.id}/events",
        "queues": f"/api/v1/halls/{config.id}/queues",
        "recent": RECENT_SHOWN,
        "queue_filter": queues,
        "page_seconds": int(rotate),
        "sound": sound,
        "voice": f"/api/v1/halls/{config.id}/voice",
        "voice_stream": f"/api/v1/halls/{config.id}/voice/stream",
    }
    header = screen_header(config)
    context = {
        "hall_name": header["name"],
        "hall_name_en": header["name_en"],
        "zone": zone,
        "zone_label": header["all"] if zone is None else header["zones"][zone],
        "settings": settings,
    }
    return templates.TemplateResponse(request, "screen.html", context)
