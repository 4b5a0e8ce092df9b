"""Where a device finds the hall's broker: `mqtt://user:password@host:port`, as every device
program (the firmware bridge, the LED bar driver) is told on its command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

DEFAULT_PORT = 1883


@dataclass(frozen=True, slots=True)
class Broker:
    """Where the broker is and how to log in: `mqtt://user:pass@host:port`."""

    host: str
    port: int = DEFAULT_PORT
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # URLs and reprs end up in logs

    @classmethod
    def from_url(cls, url: str) -> Broker:
        """Parse `mqtt://[user[:pass]@]host[:port]`; ValueError for anything else."""
        parts = urlsplit(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise ValueError(f"{url!r} is not mqtt://[user:password@]host[:port]")
        username = None if parts.username is None else unquote(parts.username)
        password = None if parts.password is None else unquote(parts.password)
        return cls(parts.hostname, parts.port or DEFAULT_PORT, username, password)
