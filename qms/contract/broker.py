"""Where a device finds the hall's broker: `mqtt://user:password@host:port`, as every device
program (the firmware bridge, the LED bar driver) is told on its command line; and how long it
waits before connecting again (`Reconnect`)."""

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


@dataclass(slots=True)
class Reconnect:
    """How long a device program waits before connecting to the broker again.

    The wait doubles from `first` to `most` and starts again from `first` only after a
    connection that held for `stable` seconds. A connection the broker closes at once - the
    broker lets one client id in at a time, so two copies of one program knock each other out
    as soon as they connect - is then retried ever more slowly, not several times a second.
    """

    first: float = 0.2
    most: float = 10.0
    stable: float = 10.0
    _wait: float = field(init=False, default=0.0)
    _since: float | None = field(init=False, default=None)

    def connected(self, now: float) -> None:
        """A connection is up (`now` on a monotonic clock in seconds)."""
        self._since = now

    def lost(self, now: float, identifier: str | None) -> tuple[float, str]:
        """A connection (or an attempt) ended: the seconds to wait, and a note for the log."""
        held = None if self._since is None else now - self._since
        self._since = None
        if not self._wait or (held is not None and held >= self.stable):
            self._wait = self.first
        wait, self._wait = self._wait, min(self._wait * 2, self.most)
        if held is None or held >= self.stable or identifier is None:  # no id of our own: nobody shares it
            return wait, ""
        return wait, f" {held:.1f} s after connecting (is another client with the id {identifier} connected?)"
