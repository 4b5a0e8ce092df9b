"""Staff bearer tokens and the login throttle.

A token is stateless, so it survives a server restart and needs no table:

    qms1.<payload>.<signature>

`payload` is base64url (no padding) of the compact JSON `{"sub": username, "role": role,
"iat": issued, "exp": expires}` (Unix seconds); `signature` is base64url of
HMAC-SHA256(secret, "qms1." + payload). Only the server's secret can make one; a token is
checked with `hmac.compare_digest` and refused once `exp` has passed. Expiry uses the wall
clock (it must mean the same after a restart); the throttle uses the monotonic clock (it
must not jump under NTP).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import TooManyAttempts, Unauthorized

PREFIX = "qms1"
DEFAULT_TTL_SECONDS = 12 * 3600.0
MIN_SECRET_BYTES = 16


@dataclass(frozen=True, slots=True)
class Claims:
    """What a valid token says: who, with which role, until when (Unix seconds)."""

    username: str
    role: str
    issued_at: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and verifies tokens signed with one secret (see the module docstring)."""

    def __init__(self, secret: bytes, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the token secret must have at least {MIN_SECRET_BYTES} bytes")
        if ttl_seconds <= 0:
            raise ValueError("the token lifetime must be positive")
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._secret, f"{PREFIX}.{payload}".encode("ascii"), hashlib.sha256)
        return _b64(mac.digest())

    def derive(self, purpose: str, value: str) -> str:
        """A value's HMAC under the secret for one `purpose` (e.g. a session's CSRF token):
        only the server can make it, and it never equals a token's signature."""
        mac = hmac.new(self._secret, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return _b64(mac.digest())

    def issue(self, username: str, role: str, now: float) -> tuple[str, Claims]:
        """A token for `username` valid from `now` (Unix seconds) for the configured lifetime."""
        claims = Claims(username, role, int(now), int(now + self.ttl_seconds))
        body = {"sub": username, "role": role, "iat": claims.issued_at, "exp": claims.expires_at}
        payload = _b64(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        return f"{PREFIX}.{payload}.{self._sign(payload)}", claims

    def verify(self, token: str, now: float) -> Claims:
        """The claims of a genuine, unexpired token; Unauthorized otherwise."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            raise Unauthorized("the token is not a qms token", code="invalid_token")
        payload, signature = parts[1], parts[2]
        try:
            payload.encode("ascii")
            good = hmac.compare_digest(self._sign(payload), signature)
        except (UnicodeEncodeError, TypeError):  # compare_digest refuses non-ASCII str
            good = False
        if not good:
            raise Unauthorized("the token's signature is not valid", code="invalid_token")
        try:
            body = json.loads(_unb64(payload))
            claims = Claims(body["sub"], body["role"], body["iat"], body["exp"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            # signed by us yet unreadable: only a token format from another version does this
            raise Unauthorized("the token cannot be read", code="invalid_token") from None
        if not isinstance(claims.username, str) or not isinstance(claims.expires_at, int):
            raise Unauthorized("the token cannot be read", code="invalid_token")
        if now >= claims.expires_at:
            raise Unauthorized("the token has expired: log in again", code="token_expired")
        return claims


class LoginThrottle:
    """Counts failed logins per username; after `limit` failures within `period` seconds,
    further attempts are refused until the oldest failure ages out.

    In memory, per process: a restart forgets, which is fine for slowing down guessing at a
    hall's front desk. Keys are case-folded so `Alice` and `alice` share one counter.
    """

    def __init__(
        self,
        limit: int = 5,
        period: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_names: int = 10_000,
    ) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._max_names = max_names
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, username: str, now: float) -> deque[float]:
        failures = self._failures.get(username.casefold())
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.period:
            failures.popleft()
        return failures

    def check(self, username: str) -> None:
        """Raise TooManyAttempts while `username` is locked out."""
        now = self._clock()
        failures = self._recent(username, now)
        if len(failures) >= self.limit:
            wait = max(1, math.ceil(failures[0] + self.period - now))
            raise TooManyAttempts(
                f"too many failed logins: try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )

    def failed(self, username: str) -> None:
        now = self._clock()
        if len(self._failures) >= self._max_names:
            self._forget_old(now)
        key = username.casefold()
        failures = self._failures.setdefault(key, deque(maxlen=self.limit))
        failures.append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.casefold(), None)

    def _forget_old(self, now: float) -> None:
        # Guessing many usernames must not grow memory without bound: drop aged-out entries,
        # and if that is not enough, the oldest ones (dicts keep insertion order).
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.period]:
            del self._failures[key]
        while len(self._failures) >= self._max_names:
            del self._failures[next(iter(self._failures))]


class TicketKeys:
    """The key in a ticket's QR link that lets its holder rate the service (好差评) from a phone.

    Ticket ids follow a pattern (day and number), so anyone could name any ticket; the key,
    HMAC-SHA256 of hall and ticket id under a key derived from the server's secret (so it can
    never be mistaken for a token signature), cut to 96 bits, is known only to whoever got the
    ticket: the printed or shown QR code, the issuing answer. It is stateless: it survives a
    restart and needs no table.
    """

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"qms ticket keys v1", hashlib.sha256).digest()

    def key(self, hall: str, ticket_id: str) -> str:
        """The key of ticket `ticket_id` of hall `hall`, 16 URL-safe characters."""
        mac = hmac.new(self._key, f"{hall}/{ticket_id}".encode(), hashlib.sha256)
        return _b64(mac.digest()[:12])

    def valid(self, hall: str, ticket_id: str, key: str | None) -> bool:
        """Whether `key` is the key of that ticket (compared in constant time)."""
        if not key or not key.isascii():
            return False
        return hmac.compare_digest(self.key(hall, ticket_id), key)
