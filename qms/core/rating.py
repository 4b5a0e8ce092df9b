"""Ratings (好差评) and calls for help (呼叫帮办): what a window's rating pad and a help button ask.

A rating pad belongs to a window, and the citizen in front of it has just been served there,
so a rating without a ticket is of the step that ended last at that window (finished or
transferred). A rating that names its ticket (a pad that shows the number, or the citizen's
own phone through the ticket's keyed link) is of that ticket's last ended step, which must
have ended at that window: the citizen who rates on the way out is not cut off because the
window has served the next person meanwhile. Either way the step must have ended at most
`HallConfig.rating_minutes` ago and not be rated yet: one rating per ticket step. The rating
names the ticket, window, staff member and service of that step.

A help button may be pressed again and again by a worried citizen; one request per device
stands for `HELP_REPEAT_SECONDS`, so staff are called once, not ten times.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from .errors import InvalidInput, NotFound, Refused
from .value import value

if TYPE_CHECKING:
    from .hall import Hall

HELP_REPEAT_SECONDS = 60.0


@value
class EndedStep:
    """The step that ended last at a window: what a rating there is about."""

    ticket_id: str
    number: str
    step: int
    window: str
    staff: str | None
    service: str
    at: datetime


def rate(hall: Hall, cmd: c.RateService, now: datetime) -> e.ServiceRated:
    """The ServiceRated event for `cmd`, or Refused when there is nothing (more) to rate."""
    hall.window(cmd.window)
    ended = hall.ended_steps.get(cmd.window) if cmd.ticket is None else _ticket_step(hall, cmd.ticket, cmd.window)
    if ended is None or now - ended.at > timedelta(minutes=hall.config.rating_minutes):
        raise Refused("no service ended at this window lately: nothing to rate", code="nothing_to_rate")
    if (ended.ticket_id, ended.step) in hall.rated:
        raise Refused(f"{ended.number} has already rated this service", code="already_rated")
    return e.ServiceRated(
        ended.ticket_id, cmd.window, ended.staff, ended.service, cmd.level, now, ended.step, cmd.device
    )


def _ticket_step(hall: Hall, ticket: str, window: str) -> EndedStep | None:
    """The last ended step of `ticket` (its id or today's number), which must have ended at `window`."""
    try:
        ticket_id = hall.ticket(ticket).id
    except NotFound:
        ticket_id = hall.ticket(hall.ticket_prefix + ticket).id  # a number such as A001; NotFound if neither
    ended = hall.last_steps.get(ticket_id)
    if ended is not None and ended.window != window:
        raise Refused(f"ticket {ended.number} was not last served at this window", code="not_last_ticket")
    return ended


def request_help(hall: Hall, cmd: c.RequestHelp, now: datetime) -> e.HelpRequested:
    """The HelpRequested event, or Refused while the device's last request still stands."""
    if not cmd.location.strip():
        raise InvalidInput("say where help is needed", code="location_missing")
    if len(cmd.note) > 200:
        raise InvalidInput("a note has at most 200 characters", code="note_too_long")
    last = hall.help_at.get(cmd.device)
    if cmd.device and last is not None and (now - last).total_seconds() < HELP_REPEAT_SECONDS:
        raise Refused("staff have been called and are on their way", code="help_already_requested")
    return e.HelpRequested(cmd.location, cmd.device, now, cmd.note)
