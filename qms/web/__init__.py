"""The qms web API: a Starlette app over the running hall services (see `app.create_app`)."""

from .app import API_PREFIX, Runtime, create_app
from .state import StaffAccountLike
from .tokens import LoginThrottle, TicketKeys, TokenSigner

__all__ = ["API_PREFIX", "LoginThrottle", "Runtime", "StaffAccountLike", "TicketKeys", "TokenSigner", "create_app"]
