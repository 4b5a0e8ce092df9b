"""The pure hall core: synchronous, deterministic, free of I/O. Time is an argument.

    hall = Hall(config)
    events = hall.handle(IssueTicket("pension"), now)   # or raises a QmsError, changing nothing
    events = hall.advance(now)                          # what the clock causes
    hall.next_deadline()                                # when advance() next has work

See hall.py for the theory of operation and policy.py for how a window picks its next ticket.
"""

from .errors import ConfigError, Conflict, IllegalTransition, InvalidInput, NotFound, QmsError, Refused
from .hall import Hall

__all__ = ["ConfigError", "Conflict", "Hall", "IllegalTransition", "InvalidInput", "NotFound", "QmsError", "Refused"]
