"""Issuing tickets: who may take which ticket, when, and with which priority.

Checked in order: the service, the channel and its priority (green channel only from
staff, booking priority only from a check-in, the elderly class from the ID number), the
citizen's identifiers, the dispenser's hours and cutoff, the daily cap, the time bands.
Everything is checked before the ticket is made, so a refusal changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import commands as c
from . import events as e
from . import identity, rules
from .errors import InvalidInput, Refused
from .model import Channel, PriorityClass, Ticket, TicketState

if TYPE_CHECKING:
    from .hall import Hall


def issue_ticket(hall: Hall, cmd: c.IssueTicket, now: datetime) -> e.TicketIssued:
    """The TicketIssued event for `cmd` at `now`, or QmsError if the hall refuses it."""
    service = hall.service(cmd.service)
    local = hall.local(now)
    channel, priority = cmd.channel, cmd.priority
    if channel is Channel.GREEN:
        priority = PriorityClass.GREEN
    elif priority is PriorityClass.GREEN and channel is not Channel.STAFF:
        raise InvalidInput("green channel tickets are granted by staff", code="green_channel_staff_only")
    if priority is PriorityClass.BOOKING and channel is not Channel.BOOKING:
        raise InvalidInput("booking priority comes only with a booking check-in", code="booking_priority")
    appointment = cmd.appointment_at
    if channel is Channel.BOOKING:
        if appointment is None:
            raise InvalidInput("a booking check-in needs the booked time", code="appointment_missing")
        policy = hall.config.policy
        if now < appointment - timedelta(minutes=policy.booking_early_minutes):
            raise Refused(
                f"check-in opens {policy.booking_early_minutes:.0f} minutes before the booked time "
                f"{hall.local(appointment):%H:%M}",
                code="booking_too_early",
            )
        late = now > appointment + timedelta(minutes=policy.booking_late_minutes)
        priority = PriorityClass.NORMAL if late else PriorityClass.BOOKING  # late loses booking priority
    elif appointment is not None:
        raise InvalidInput("a booked time comes only with a booking check-in", code="appointment_not_booking")
    id_masked = phone_masked = None
    if cmd.id_number is not None:
        number = identity.validate_id_number(cmd.id_number)
        id_masked = identity.mask_id_number(number)
        if priority is PriorityClass.NORMAL and identity.age_on(number, local.date()) >= hall.config.policy.elderly_age:
            priority = PriorityClass.ELDERLY
    if cmd.phone is not None:
        phone_masked = identity.mask_phone(identity.validate_phone(cmd.phone))
    if cmd.escalation is not None:
        if not service.escalation:
            raise InvalidInput(f"{service.name} takes no escalations", code="not_escalation_service")
        hall.ticket(cmd.escalation.ticket_id)
        if cmd.escalation.window_id is not None:
            hall.window(cmd.escalation.window_id)
    if len(cmd.note) > 200:
        raise InvalidInput("a note has at most 200 characters", code="note_too_long")

    if channel in rules.SELF_SERVICE:
        hall.issuing_day(local.date()).check(local.time())
    issued = hall.issued_today.get(service.id, 0)
    # A booking check-in is never turned away by the cap: its place was granted days ahead,
    # within the booking's own capacity (qms.core.ledger), and refusing it at the door would
    # break that promise; the cap keeps walk-ins from taking what the windows cannot serve.
    capped = priority is not PriorityClass.GREEN and channel is not Channel.BOOKING
    if service.daily_cap is not None and issued >= service.daily_cap and capped:
        raise Refused(
            f"all {service.daily_cap} tickets of {service.name} for today are taken", code="daily_cap_reached"
        )
    if service.bands and channel in rules.SELF_SERVICE:
        band = rules.band_at(service.bands, local.time())
        if band is None:
            raise Refused(f"{service.name} issues tickets only in its time bands", code="outside_issue_band")
        if hall.band_used.get((service.id, band), 0) >= service.bands[band].quota:
            b = service.bands[band]
            raise Refused(f"tickets for {b.start:%H:%M}-{b.end:%H:%M} are all taken", code="band_quota_reached")

    count = hall.counters.get(service.prefix, 0) + 1
    number = f"{service.prefix}{count:03d}"
    ticket = Ticket(
        id=hall.ticket_prefix + number,
        number=number,
        service=service.id,
        channel=channel,
        priority=priority,
        state=TicketState.WAITING,
        issued_at=now,
        queued_at=now,
        appointment_at=appointment,
        id_masked=id_masked,
        phone_masked=phone_masked,
        escalation=cmd.escalation,
        note=cmd.note,
    )
    return e.TicketIssued(ticket, now)
