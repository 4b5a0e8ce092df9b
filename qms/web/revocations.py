"""Ended sessions: a staff session that was logged out, or all of an account's sessions.

A staff token (`tokens.py`) is valid until it expires; logging out must end it earlier, also
for a copy of the cookie. Two records do that, both kept in SQLite (the admin store,
migration 7) before they take effect, and loaded again at start, so they survive a restart:

- a revoked session id (the random id after the colon of the admin cookie), kept until the
  session would have expired anyway;
- an account's `not_before` (Unix seconds): every token of the account issued before it is
  void, cookie sessions and the API's bearer tokens alike ("log out everywhere"; also set when
  an admin resets the account's password or disables it). A login afterwards is issued at
  `not_before` at the earliest (`issue_at`), so it is valid even within the same second.

The check itself reads only memory (`ended`), so every request pays nothing for it; the
memory follows the table because every change goes through `revoke`/`end_all` here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .tokens import Claims


class RevocationStore(Protocol):
    """Where ended sessions are kept (qms.storage.admin.SqliteAdminStore)."""

    async def revoked_sessions(self, now: float) -> tuple[dict[str, int], dict[str, int]]: ...

    async def revoke_session(self, session_id: str, username: str, expires_at: int, now: float) -> None: ...

    async def end_sessions(self, username: str, not_before: int, audit_row: Sequence[object] = ()) -> None: ...


@dataclass(slots=True)
class SessionRevocations:
    """The ended sessions of a server (see the module docstring); memory only without a store."""

    store: RevocationStore | None = None
    revoked: dict[str, int] = field(default_factory=dict)  # session id -> its expiry (Unix s)
    not_before: dict[str, int] = field(default_factory=dict)  # username -> Unix s

    async def load(self, store: RevocationStore, now: float) -> None:
        """Keep ended sessions in `store` from now on, and take in those it has (at start)."""
        self.store = store
        self.revoked, self.not_before = await store.revoked_sessions(now)

    def ended(self, claims: Claims, session_id: str = "") -> bool:
        """True when the token's session was logged out, or all the account's were."""
        if session_id and session_id in self.revoked:
            return True
        return claims.issued_at < self.not_before.get(claims.username, 0)

    def issue_at(self, username: str, now: float) -> float:
        """The time to issue a new token at: not before the account's `not_before`."""
        return max(now, float(self.not_before.get(username, 0)))

    async def revoke(self, session_id: str, claims: Claims, now: float) -> None:
        """End one session (logout): stored first, then in force."""
        if self.store is not None:
            await self.store.revoke_session(session_id, claims.username, claims.expires_at, now)
        self.revoked = {s: e for s, e in self.revoked.items() if e > now}  # forget what expired
        self.revoked[session_id] = claims.expires_at

    async def end_all(self, username: str, now: float, audit_row: Sequence[object] = ()) -> None:
        """End every session of an account issued until now ("log out everywhere"), storing the
        audit row of the change with it if given."""
        # tokens carry whole seconds: end this second's too, and those issued at an earlier
        # `not_before` (a login right after the last "everywhere" is issued at it, maybe ahead)
        not_before = max(math.floor(now), self.not_before.get(username, 0)) + 1
        if self.store is not None:
            await self.store.end_sessions(username, not_before, audit_row)
        self.not_before[username] = not_before
