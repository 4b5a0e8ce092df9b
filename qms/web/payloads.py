"""Request bodies in, response bodies out.

Reading: a body is read with a size cap, must be a JSON object, and every field is read by
name with its expected type, so a typo (`servcie`) or a wrong type is a 422 naming the field
instead of a silently ignored value. Shaping: tickets, windows and queues as the API shows
them, with people ahead and the estimated wait computed at the hall's clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from starlette.requests import Request

from qms.core.errors import InvalidInput, NotFound
from qms.core.estimate import QueueStatus, estimate
from qms.core.hall import Hall
from qms.core.model import Ticket, Window

from .errors import BodyTooLarge

E = TypeVar("E", bound=StrEnum)

MAX_TEXT = 500  # longest free text accepted in any field; the core has its own, tighter limits
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")


# -- reading ---------------------------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with BodyTooLarge beyond `limit` bytes."""
    announced = request.headers.get("content-length")
    if announced is not None and announced.isdigit() and int(announced) > limit:
        raise BodyTooLarge(f"the request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_object(request: Request, limit: int) -> dict[str, Any]:
    """The JSON object in the request body; an empty body reads as `{}`.

    The cap is checked on Content-Length first and then while streaming, since a chunked
    body announces no length.
    """
    raw = await read_body(request, limit)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise InvalidInput(f"the body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", code="invalid_input")
    return data


def idempotency_key(request: Request, scope: str) -> str | None:
    """The request's `Idempotency-Key`, namespaced by `scope` (the action), or None.

    The namespace keeps a key reused for another action from answering with the events of
    the first one: for the hall service a key is unique per hall, whatever the command.
    """
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not _KEY_PATTERN.match(key):
        raise InvalidInput("Idempotency-Key must be 1-128 visible ASCII characters", code="invalid_idempotency_key")
    return f"{scope}:{key}"


class Fields:
    """The fields of one JSON object, read by name; unknown names are refused up front."""

    def __init__(self, data: Mapping[str, Any], allowed: Iterable[str], where: str = "") -> None:
        allowed = tuple(allowed)
        for name in data:
            if name not in allowed:
                expected = ", ".join(allowed) if allowed else "no fields"
                raise InvalidInput(f"unknown field {self._path(where, name)!r}; expected {expected}")
        self.data = data
        self.where = where

    @staticmethod
    def _path(where: str, name: str) -> str:
        return f"{where}.{name}" if where else name

    def _bad(self, name: str, expected: str) -> InvalidInput:
        return InvalidInput(f"field {self._path(self.where, name)!r} must be {expected}")

    def _given(self, name: str) -> Any:
        return self.data.get(name)  # JSON null counts as not given

    def text(self, name: str, default: str = "") -> str:
        value = self._given(name)
        if value is None:
            return default
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise self._bad(name, f"a string of at most {MAX_TEXT} characters")
        return value

    def optional_text(self, name: str) -> str | None:
        return None if self._given(name) is None else self.text(name)

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if not value.strip():
            raise InvalidInput(f"field {self._path(self.where, name)!r} is required", code="invalid_input")
        return value

    def choice(self, name: str, enum: type[E], default: E) -> E:
        return default if self._given(name) is None else self.required_choice(name, enum)

    def required_choice(self, name: str, enum: type[E]) -> E:
        value = self._given(name)
        values = [m.value for m in enum]
        if value is None:
            path = self._path(self.where, name)
            raise InvalidInput(f"field {path!r} is required: one of {', '.join(values)}", code="invalid_input")
        if not isinstance(value, str) or value not in values:
            raise self._bad(name, "one of " + ", ".join(values))
        return enum(value)

    def moment(self, name: str) -> datetime | None:
        """An ISO 8601 date-time with its UTC offset (a naive time would be a guess)."""
        value = self._given(name)
        if value is None:
            return None
        expected = "an ISO 8601 date-time with offset, such as 2026-11-23T10:30:00+08:00"
        if not isinstance(value, str):
            raise self._bad(name, expected)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self._bad(name, expected) from None
        if moment.tzinfo is None:
            raise self._bad(name, expected)
        return moment

    def nested(self, name: str, allowed: Iterable[str]) -> Fields | None:
        value = self._given(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._bad(name, "an object")
        return Fields(value, allowed, self._path(self.where, name))


# -- shaping ---------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def ticket_view(
    hall: Hall, ticket: Ticket, now: datetime, *, private: bool = False, key: str | None = None
) -> dict[str, Any]:
    """A ticket as the API shows it. `private` adds what only its holder and staff see
    (masked identifiers, the note, the staff member, the steps so far); `key`, given to its
    holder only, is the key of its status page's link (rating from the phone)."""
    service = hall.services[ticket.service]
    try:
        guess = estimate(hall, ticket.id, now)
        ahead, eta = guess.people_ahead, guess.eta_minutes
    except NotFound:  # yesterday's ticket, replayed for an idempotency key
        ahead, eta = 0, None
    window = _window_number(hall, ticket.window)
    view: dict[str, Any] = {
        "id": ticket.id,
        "number": ticket.number,
        "service": service.id,
        "service_name": service.name,
        "service_name_en": service.name_en,
        "department": service.department,
        "state": ticket.state.value,
        "channel": ticket.channel.value,
        "priority": ticket.priority.value,
        "people_ahead": ahead,
        "eta_minutes": eta,
        "issued_at": _iso(ticket.issued_at),
        "appointment_at": _iso(ticket.appointment_at),
        "window": ticket.window,
        "window_number": window,
        "target_window": ticket.target_window,
        "called_at": _iso(ticket.called_at),
        "call_count": ticket.call_count,
        "started_at": _iso(ticket.started_at),
        "finished_at": _iso(ticket.finished_at),
        "outcome": None if ticket.outcome is None else ticket.outcome.value,
    }
    if private:
        view.update(
            id_masked=ticket.id_masked,
            phone_masked=ticket.phone_masked,
            note=ticket.note,
            staff=ticket.staff,
            steps=[
                {
                    "service": step.service,
                    "window": step.window,
                    "outcome": step.outcome.value,
                    "called_at": _iso(step.called_at),
                    "finished_at": _iso(step.finished_at),
                }
                for step in ticket.steps
            ],
        )
    if key is not None:
        view["key"] = key
    return view


def _window_number(hall: Hall, window_id: str | None) -> int | None:
    if window_id is None:
        return None
    try:
        return hall.window(window_id).number
    except NotFound:
        return None


def window_view(hall: Hall, window: Window) -> dict[str, Any]:
    """A window with its current ticket's number, as screens and staff pages show it."""
    config = next(w for w in hall.config.windows if w.id == window.id)
    number = None
    if window.ticket is not None:
        try:
            number = hall.ticket(window.ticket).number
        except NotFound:
            number = None
    return {
        "id": window.id,
        "number": window.number,
        "name": config.name,
        "kind": window.kind.value,
        "zone": config.zone,
        "state": window.state.value,
        "staff": window.staff,
        "ticket": window.ticket,
        "ticket_number": number,
        "pause_reason": window.pause_reason,
        "since": _iso(window.since),
        "services": sorted(hall.weights[window.id]),
    }


def queue_view(queue: QueueStatus) -> dict[str, Any]:
    return {
        "service": queue.service,
        "name": queue.name,
        "name_en": queue.name_en,
        "department": queue.department,
        "prefix": queue.prefix,
        "waiting": queue.waiting,
        "eta_minutes": queue.eta_minutes,
        "windows_open": queue.windows_open,
        "handling_minutes": queue.handling_minutes,
    }
