"""Ratings (好差评) and calls for help (呼叫帮办): what a window's rating pad and a help button ask.

A rating pad belongs to a window, and the citizen in front of it has just been served there,
so a rating is of the step that ended last at that window (finished or transferred), if it
ended at most `HallConfig.rating_minutes` ago and was not rated yet: one rating per ticket
step. The rating names the ticket, window, staff member and service of that step.

A help button may be pressed again and again by a worried citizen; one request per device
stands for `HELP_REPEAT_SECONDS`, so staff are called once, not ten times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from .errors import InvalidInput, Refused

if TYPE_CHECKING:
    from .hall import Hall

HELP_REPEAT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class EndedStep:
    """The step that ended last at a window: what a rating there is about."""

    ticket_id: str
    number: str
    step: int
    staff: str | None
    service: str
    at: datetime


def rate(hall: Hall, cmd: c.RateService, now: datetime) -> e.ServiceRated:
    """The ServiceRated event for `cmd`, or Refused when there is nothing (more) to rate."""
    hall.window(cmd.window)
    ended = hall.ended_steps.get(cmd.window)
    if ended is None or now - ended.at > timedelta(minutes=hall.config.rating_minutes):
        raise Refused("no service ended at this window lately: nothing to rate", code="nothing_to_rate")
    if cmd.ticket is not None and cmd.ticket not in (ended.ticket_id, ended.number):
        raise Refused(f"ticket {cmd.ticket} is not the one last served here ({ended.number})", code="not_last_ticket")
    if (ended.ticket_id, ended.step) in hall.rated:
        raise Refused(f"{ended.number} has already rated this service", code="already_rated")
    return e.ServiceRated(
        ended.ticket_id, cmd.window, ended.staff, ended.service, cmd.level, now, ended.step, cmd.device
    )


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
