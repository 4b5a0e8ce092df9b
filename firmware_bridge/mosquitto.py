"""A throw-away Mosquitto on a loopback port, for the bridge's benchmark, tests and trying it out.

Anonymous clients, 127.0.0.1 only, nothing persisted: never a production broker (that one has a
password file and ACLs, see DESIGN.md).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Mosquitto:
    """A running broker: anonymous clients allowed, loopback only, nothing persisted."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """The broker URL for `python -m firmware_bridge --broker`."""
        return f"mqtt://127.0.0.1:{self.port}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def mosquitto(port: int | None = None) -> Iterator[Mosquitto]:
    """Start `mosquitto -c <generated config>` and stop it (always reaped, pipes closed)."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with tempfile.TemporaryDirectory(prefix="qms-mosquitto-") as folder:
        port = port or free_port()
        conf = Path(folder) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest none\nmax_queued_messages 100000\n"
        )
        process = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not start: {process.communicate()[1].decode(errors='replace')}")
                time.sleep(0.02)
            yield Mosquitto(port, process)
        finally:
            if process.poll() is None:
                process.terminate()
            try:
                process.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
