"""One tree of errors for the whole hall core.

Every error carries a stable machine code (used by the API, MQTT acks and logs) and a
message a person understands. Adapters map the class to a transport status; they never
parse messages.
"""

from __future__ import annotations


class QmsError(Exception):
    """Base of every error the hall core raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidInput(QmsError):
    """The request is malformed or names a value that cannot exist (HTTP 422)."""

    code = "invalid_input"


class NotFound(QmsError):
    """The request names a service, window or ticket this hall does not have (HTTP 404)."""

    code = "not_found"


class Conflict(QmsError):
    """The request is well formed but not allowed in the current state (HTTP 409)."""

    code = "conflict"


class IllegalTransition(Conflict):
    """A ticket or window cannot move from its state with this action."""

    code = "illegal_transition"


class Refused(Conflict):
    """The hall refuses on a business rule: closed, cap or band quota reached, cooldown."""

    code = "refused"


class ConfigError(QmsError):
    """A hall configuration is inconsistent; start-up must stop."""

    code = "invalid_config"
