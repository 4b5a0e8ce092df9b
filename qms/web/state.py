"""What every endpoint needs: the halls, the staff accounts, the token signer, the limits.

One `WebState` is made by `create_app` and kept on `app.state.qms`; endpoints reach it
through `web_state(conn)`. The hall services are looked up on each request (never cached),
because a `HallService` may rebuild its `Hall` after a storage failure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from starlette.requests import HTTPConnection

from qms.core.errors import NotFound
from qms.service import HallService

from .revocations import SessionRevocations
from .tokens import LoginThrottle, TicketKeys, TokenSigner

if TYPE_CHECKING:  # booking_desk imports this module
    from .booking_desk import BookingDesk


class StaffAccountLike(Protocol):
    """What the web layer reads of a staff account (`qms.config`'s StaffAccount fits).

    `role` is "staff" or "admin" (a StrEnum compares equal to its value). `windows` lists
    the windows the account may open, by id (a number as text is taken too); empty means any
    window. The MQTT gateway's account protocol is a part of this one, so the keypads' sign-in
    reads the same live map as the web's logins.
    """

    @property
    def username(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def password_hash(self) -> str: ...

    @property
    def windows(self) -> Collection[str]: ...


@dataclass(frozen=True, slots=True)
class WebState:
    services: Mapping[str, HallService]
    accounts: MutableMapping[str, StaffAccountLike]  # the admin pages add, change and disable accounts
    tokens: TokenSigner
    throttle: LoginThrottle
    max_body_bytes: int
    subscriber_queue: int  # events a websocket client may fall behind before it is cut off
    ticket_keys: TicketKeys  # the keys in tickets' QR links (rating from a phone)
    bookings: Mapping[str, BookingDesk] = field(default_factory=dict)  # the halls that take online bookings
    revocations: SessionRevocations = field(default_factory=SessionRevocations)  # logged-out sessions


def web_state(conn: HTTPConnection) -> WebState:
    return cast(WebState, conn.app.state.qms)


def hall_service(conn: HTTPConnection) -> HallService:
    """The service of the hall named in the path, or 404 `unknown_hall`."""
    hall_id = conn.path_params["hall"]
    service = web_state(conn).services.get(hall_id)
    if service is None:
        raise NotFound(f"there is no hall {hall_id!r}", code="unknown_hall")
    return service
