"""Staff login and who may do what.

`POST /auth/login` checks a password against the account's argon2 hash and answers a signed
token (format in `tokens.py`). The check runs in a worker thread: argon2 costs tens of
milliseconds on purpose, and the event loop serves every hall meanwhile. An unknown username
is checked against a dummy hash, so that the answer takes as long as for a wrong password
and does not reveal which usernames exist.

Each request re-reads the account named by the token: an account removed from the hall
file, or demoted, loses its rights at once although its token is still validly signed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from qms.core.model import Window
from qms.passwords import hash_password, verify_password

from .errors import JSON, Forbidden, Unauthorized
from .payloads import Fields, read_object
from .state import StaffAccountLike, WebState, web_state
from .tokens import Claims

ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The staff member a request acts for."""

    username: str
    role: str
    account: StaffAccountLike

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


@cache
def _dummy_hash() -> str:
    # made once, on the first login for an unknown name, so that app start-up stays fast
    return hash_password("no such account")


def _check_password(account: StaffAccountLike | None, password: str) -> bool:
    if account is None:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(account.password_hash, password)


async def login(request: Request) -> Response:
    """`POST /auth/login {username, password}` -> `{token, username, name, role, windows, expires_at}`."""
    state = web_state(request)
    fields = Fields(await read_object(request, state.max_body_bytes), ("username", "password"))
    username = fields.required_text("username")
    password = fields.required_text("password")
    account, token, claims = await sign_in(state, username, password)
    return JSON(
        {
            "token": token,
            "token_type": "Bearer",
            "username": account.username,
            "name": account.name,
            "role": claims.role,
            "windows": [str(w) for w in account.windows],
            "expires_at": datetime.fromtimestamp(claims.expires_at, UTC).isoformat(),
        }
    )


async def sign_in(state: WebState, username: str, password: str) -> tuple[StaffAccountLike, str, Claims]:
    """Check a staff member's password (throttled per username) and issue a token: the
    account, the token and its claims. Raises 429 `too_many_attempts` or 401 `bad_credentials`.
    The API's login and the admin pages' login form both come here."""
    state.throttle.check(username)
    account = state.accounts.get(username)
    if not await run_in_threadpool(_check_password, account, password) or account is None:
        state.throttle.failed(username)
        raise Unauthorized("wrong username or password", code="bad_credentials")
    state.throttle.succeeded(username)
    issued = state.revocations.issue_at(account.username, time.time())
    token, claims = state.tokens.issue(account.username, str(account.role), issued)
    return account, token, claims


def principal_of(state: WebState, username: str) -> Principal | None:
    """The staff member `username` as the account map has them now (None: removed or
    disabled): every request re-reads it, so a demotion holds at once."""
    account = state.accounts.get(username)
    return None if account is None else Principal(account.username, str(account.role), account)


def authenticate(conn: HTTPConnection) -> Principal:
    """The staff member named by the request's bearer token, or 401."""
    header = conn.headers.get("authorization")
    if header is None:
        raise Unauthorized("log in and send 'Authorization: Bearer <token>'", code="auth_required")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'", code="invalid_token")
    state = web_state(conn)
    claims = state.tokens.verify(token.strip(), time.time())
    principal = principal_of(state, claims.username)
    if principal is None:
        raise Unauthorized("the token's account no longer exists", code="invalid_token")
    if state.revocations.ended(claims):
        raise Unauthorized("this login was ended (logged out everywhere): log in again", code="token_revoked")
    return principal


def may_open(principal: Principal, window: Window) -> None:
    """403 unless the account may log in at `window` (its list of windows, if any)."""
    allowed = principal.account.windows
    if principal.is_admin or not allowed:
        return
    if window.id in allowed or str(window.number) in allowed:
        return
    raise Forbidden(f"{principal.username} may not open window {window.number}", code="window_not_allowed")


def may_act(principal: Principal, window: Window) -> None:
    """403 unless the principal is logged in at `window` (or is an admin).

    A closed window has nobody logged in; the action goes on to the hall, which refuses it
    as `window_closed` - more useful to the person pressing the button than a 403.
    """
    if principal.is_admin or window.staff is None or window.staff == principal.username:
        return
    raise Forbidden(
        f"window {window.number} is open for {window.staff}, not {principal.username}", code="not_your_window"
    )
