"""Real `qms serve` processes for tests: one on a free loopback port, stopped gracefully or killed.

Starting reuses the benchmark's `start_server` (it waits for /api/v1/health); this adds the
other half, a stop that always reaps the child and closes its pipe, so that pytest's
`-W error` sees no ResourceWarning whichever way a test ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qms.bench.api import free_port, start_server

STOP_SECONDS = 10.0


@dataclass
class Server:
    """A running `qms serve` child process."""

    proc: subprocess.Popen[bytes]
    port: int
    stderr: str = ""  # what the process wrote to stderr, once it has ended

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> int:
        """`kill -9`: no shutdown code runs, no buffer is flushed. Returns the exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        return self._reap(STOP_SECONDS)

    def stop(self) -> int:
        """SIGTERM, as systemd or Ctrl-C would, and wait; SIGKILL if it hangs. Returns the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self._reap(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self._reap(None)

    def _reap(self, timeout: float | None) -> int:
        if self.proc.stderr is None or self.proc.stderr.closed:  # reaped already
            return self.proc.wait()
        # communicate() waits for the process, and reads and closes its stderr pipe
        _, err = self.proc.communicate(timeout=timeout)
        self.stderr += (err or b"").decode(errors="replace")
        return self.proc.returncode


@contextmanager
def serving(config: Path, data: Path) -> Iterator[Server]:
    """`qms serve --config config --data data` on a free port until the block ends (then SIGTERM)."""
    port = free_port()
    server = Server(start_server(config, data, port), port)
    try:
        yield server
    finally:
        server.stop()
