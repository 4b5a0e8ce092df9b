"""A pseudo-terminal standing in for a serial cable: the emulator holds the master, the bridge opens the slave path."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Callable


class PtyPort:
    """One pty pair in raw mode, read by the event loop.

    The emulator keeps the slave side open too, so the line stays up while the bridge closes and
    reopens its end (as a real device stays powered while the bridge restarts); `close()` drops
    both ends, which the bridge sees as the cable pulled.
    """

    def __init__(self, on_data: Callable[[bytes], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_data = on_data
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing, no CR/LF games: bytes as they are
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self.closed = False
        self.dropped_bytes = 0  # written while nobody read the other end and its buffer was full
        self._loop.add_reader(self._master, self._readable)

    def write(self, data: bytes) -> None:
        """Send bytes to whoever opened the slave path (dropped when the pty's buffer is full)."""
        if self.closed or not data:
            return
        try:
            written = os.write(self._master, data)
        except BlockingIOError:
            written = 0
        except OSError:
            return
        self.dropped_bytes += len(data) - written

    def close(self) -> None:
        """Pull the cable."""
        if self.closed:
            return
        self.closed = True
        self._loop.remove_reader(self._master)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _readable(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # EIO: the slave side has no reader right now
        if data:
            self._on_data(data)
