"""Bad ratings (差评) and their follow-ups, for staff.

- `GET /halls/{hall}/ratings/bad?day=` lists every 不满意 and 非常不满意 of a business day
  (today by default) with where its follow-up stands (待回访 until someone records one).
- `POST /halls/{hall}/ratings/{id}/follow-up {status, note}` records 已回访 (`contacted`) or
  已办结 (`resolved`) with a note; the row keeps who did it and when. The rules are
  `qms.core.follow_up`'s; the same status and note again answer 200 and change nothing.

A rating's id is its ticket and step, `20261123-A001.0`. Both need a staff token.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from qms.core.errors import Conflict, NotFound
from qms.core.follow_up import FollowUp, FollowUpStatus, follow_up
from qms.core.model import RatingLevel
from qms.core.reports import window_names
from qms.service import HallService

from .auth import authenticate
from .bookings import read_date
from .errors import JSON
from .payloads import Fields, read_object
from .state import hall_service, web_state

_RATING_ID = re.compile(r"^(?P<ticket>(?P<day>\d{8})-[A-Za-z0-9]{1,16})\.(?P<step>\d{1,3})$")


def rating_id(ticket_id: str, step: int) -> str:
    return f"{ticket_id}.{step}"


def _follow_up_view(request: Request, f: FollowUp | None) -> dict[str, Any]:
    if f is None:
        return {
            "status": "open",
            "label": FollowUpStatus.OPEN.label,
            "note": "",
            "by": None,
            "by_name": None,
            "at": None,
        }
    account = web_state(request).accounts.get(f.by)
    return {
        "status": str(f.status),
        "label": f.status.label,
        "note": f.note,
        "by": f.by,
        "by_name": account.name if account else f.by,
        "at": f.at.isoformat(),
    }


def _rating_view(request: Request, service: HallService, row: dict[str, Any], f: FollowUp | None) -> dict[str, Any]:
    config = service.config
    account = web_state(request).accounts.get(row["staff"] or "")
    known = config.service(row["service"])
    return {
        "id": rating_id(row["ticket"], row["step"]),
        "ticket": row["ticket"],
        "number": row["ticket"].split("-", 1)[-1],
        "step": row["step"],
        "window": row["window"],
        "window_name": window_names(config).get(row["window"], row["window"]),
        "staff": row["staff"],
        "staff_name": account.name if account else row["staff"],
        "service": row["service"],
        "service_name": known.name if known else row["service"],
        "level": row["level"],
        "label": RatingLevel(row["level"]).label,
        "at": row["at"],
        "follow_up": _follow_up_view(request, f),
    }


async def bad_ratings(request: Request) -> Response:
    """`GET /halls/{hall}/ratings/bad?day=YYYY-MM-DD` (staff): the day's bad ratings, oldest first."""
    authenticate(request)
    service = hall_service(request)
    day = read_date(request.query_params.get("day"), "day") or service.now().date()
    rows = [r for r in await service.store.ratings(service.id, day) if r["bad"]]
    done = {(f.ticket_id, f.step): f for f in await service.store.follow_ups(service.id, day)}
    views = [_rating_view(request, service, r, done.get((r["ticket"], r["step"]))) for r in rows]
    return JSON({"hall": service.id, "day": day.isoformat(), "ratings": views})


async def record_follow_up(request: Request) -> Response:
    """`POST /halls/{hall}/ratings/{id}/follow-up {status: contacted|resolved, note}` (staff)."""
    principal = authenticate(request)
    service = hall_service(request)
    fields = Fields(await read_object(request, web_state(request).max_body_bytes), ("status", "note"))
    status = fields.choice("status", FollowUpStatus, FollowUpStatus.OPEN)
    note = fields.text("note")
    match = _RATING_ID.match(request.path_params["id"])
    unknown = NotFound(f"there is no rating {request.path_params['id']!r}", code="unknown_rating")
    if match is None:
        raise unknown
    ticket_id, step = match["ticket"], int(match["step"])
    try:
        day = date(int(match["day"][:4]), int(match["day"][4:6]), int(match["day"][6:]))
    except ValueError:
        raise unknown from None
    row = next(
        (r for r in await service.store.ratings(service.id, day) if (r["ticket"], r["step"]) == (ticket_id, step)),
        None,
    )
    if row is None:
        raise unknown
    if not row["bad"]:
        raise Conflict(
            f"{ticket_id} was rated {RatingLevel(row['level']).label}: only bad ratings are followed up",
            code="not_a_bad_rating",
        )
    current = next(
        (f for f in await service.store.follow_ups(service.id, day) if (f.ticket_id, f.step) == (ticket_id, step)),
        None,
    )
    changed = follow_up(current, ticket_id, step, status, note, principal.username, service.now())
    if changed is not None:
        if not await service.store.save_follow_up(service.id, day, changed, current.status if current else None):
            raise Conflict(
                "someone else recorded a follow-up of this rating meanwhile: reload and look again",
                code="follow_up_changed",
            )
        current = changed
    return JSON({"rating": _rating_view(request, service, row, current)})
