"""Where the broker is, and a managed Mosquitto for one-command runs.

`QMS_MQTT_URL` (`mqtt://user:password@host:port`) points a production server at its own
broker. Without it, `qms serve` and `qms demo` run Mosquitto as a child process: listening on
127.0.0.1 only, anonymous clients refused, a password file made with `mosquitto_passwd` from
the hall's device registry (plus a fresh password for the server itself), an ACL under which a
device writes only under its own `dev/<dev>/` (a bridge also under its devices'), and
persistence in the data directory. A change of the registry on the admin pages writes both
files again and reloads the broker (SIGHUP), without a restart. The child gets SIGTERM when the server's process dies,
even by `kill -9` (PR_SET_PDEATHSIG), so it never outlives the server and holds no port; and
when it dies by itself (a crash, the OOM killer), the server starts it again on the same port.

Its port is QMS_MQTT_PORT's, else 1883 when free, else any free one. Two servers starting at the
same instant on one machine can both see 1883 free; the one whose Mosquitto cannot bind it then
takes another free port (a port asked for is what the devices were told: that one fails
instead). A broker counts as started only once it accepts the server's own login with a
password of this start, so another broker on the port is never taken for the server's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from qms.config.devices import RESERVED_IDS, DeviceConfig
from qms.contract import DeviceKind, topics
from qms.core.errors import ConfigError

from .device_passwords import PASSWORDS_FILE, device_passwords

log = logging.getLogger(__name__)

SERVER_USER = "qms-server"
#: a user without any topic: its password changes with every password file, so logging in
#: with the newest one shows that Mosquitto has re-read the file (see `ManagedBroker.update`)
RELOAD_USER = "qms-reload-probe"
assert {SERVER_USER, RELOAD_USER} == RESERVED_IDS  # no device can take the server's own logins
DEFAULT_PORT = 1883
#: for every client socket: without it Nagle's algorithm and delayed ACKs hold small MQTT
#: packets back for up to 40 ms, longer than the whole path from keypad to LED bar
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
START_SECONDS = 10.0
PORT_TRIES = 5  # ports a managed broker tries when its own choice was taken meanwhile
WATCH_SECONDS = 0.2  # how often `keep_running` looks whether Mosquitto still runs
RESTART_MAX_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """How to reach a broker: host, port and the credentials to log in with."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def url(self, *, with_password: bool = False) -> str:
        """`mqtt://user@host:port` (the password only when asked: URLs end up in logs)."""
        user = ""
        if self.username:
            user = self.username + (f":{self.password}" if with_password and self.password else "") + "@"
        return f"mqtt://{user}{self.host}:{self.port}"


def parse_url(url: str) -> BrokerAddress:
    """`mqtt://user:password@host:port` (port 1883 by default); ConfigError if it is not one."""
    parts = urlsplit(url.strip())
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ConfigError(f"QMS_MQTT_URL {url!r}: expected mqtt://user:password@host:port")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ConfigError(f"QMS_MQTT_URL {url!r}: the port must be a number from 1 to 65535") from None
    return BrokerAddress(
        parts.hostname,
        port,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def mosquitto_available() -> bool:
    """True when `mosquitto` and `mosquitto_passwd` are installed (Debian package mosquitto)."""
    return _find("mosquitto") is not None and _find("mosquitto_passwd") is not None


def _find(name: str) -> str | None:
    # Debian installs the broker in /usr/sbin, which is not on every user's PATH
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/usr/local/sbin")


def acl_text(hall: str, devices: Sequence[DeviceConfig]) -> str:
    """Mosquitto ACL: the server reads and writes the hall's tree; every device reads it and
    writes only under its own `dev/<dev>/` (a bridge also under those of its devices)."""
    root = topics.root(hall)
    lines = [f"user {SERVER_USER}", f"topic readwrite {root}/#", ""]
    children: dict[str, list[str]] = {}
    for d in devices:
        if d.bridge is not None:
            children.setdefault(d.bridge, []).append(d.id)
    for d in devices:
        if d.bridge is not None:
            continue
        lines += [f"user {d.id}", f"topic read {root}/#"]
        for own in [d.id, *children.get(d.id, [])] if d.kind is DeviceKind.BRIDGE else [d.id]:
            lines.append(f"topic readwrite {root}/dev/{own}/#")
        lines.append("")
    return "\n".join(lines)


class PortTaken(RuntimeError):
    """Mosquitto could not listen: another process has the port."""


class ManagedBroker:
    """A Mosquitto child process for one server run; `start()` then `stop()`."""

    def __init__(self, directory: Path, hall: str, devices: Sequence[DeviceConfig], port: int | None = None) -> None:
        self.directory = directory
        self.hall = hall
        self.devices = tuple(devices)
        self.requested_port = port
        self.port = 0
        self.server_password = secrets.token_urlsafe(24)
        self._probe_password = ""
        self._writing = threading.Lock()  # a restart's files and a registry change's never interleave
        self._proc: subprocess.Popen[bytes] | None = None
        #: why Mosquitto does not run now although it should (ended, not started again yet)
        self.failure: str | None = None

    @property
    def address(self) -> BrokerAddress:
        """Where the server itself logs in."""
        return BrokerAddress("127.0.0.1", self.port, SERVER_USER, self.server_password)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def write_files(self) -> Path:
        """Configuration, password file and ACL in `directory`; returns the configuration's path."""
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o700)
        plain = self._write_access()
        if self.port == 0:
            wanted = self.requested_port
            self.port = wanted if wanted is not None else (DEFAULT_PORT if port_is_free(DEFAULT_PORT) else free_port())
        conf = d / "mosquitto.conf"
        conf.write_text(
            "\n".join(
                [
                    "# written by qms at every start; edits are lost",
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous false",
                    f"password_file {plain}",
                    f"acl_file {d / 'acl'}",
                    "persistence true",
                    f"persistence_location {d}/",
                    "autosave_interval 30",
                    f"user {pwd.getpwuid(os.getuid()).pw_name}",  # as root, stay root: the files are ours
                    "log_dest stderr",
                    "log_type error",
                    "log_type warning",
                    "max_queued_messages 10000",
                    "set_tcp_nodelay true",  # no Nagle: a display frame must not wait 40 ms for an ACK
                    "",
                ]
            )
        )
        return conf

    def _write_access(self) -> Path:
        """The password file and the ACL of `devices`; returns the password file's path. Each is
        written beside and renamed over the old one, so a reload never reads half a file."""
        with self._writing:
            return self._write_access_now()

    def _write_access_now(self) -> Path:
        d = self.directory
        self._probe_password = secrets.token_urlsafe(12)
        passwords = {SERVER_USER: self.server_password, RELOAD_USER: self._probe_password}
        passwords.update(device_passwords(self.devices, d / PASSWORDS_FILE))
        plain = d / "passwd"
        fresh = d / "passwd.new"
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(f"{user}:{password}\n" for user, password in passwords.items())
        # -U hashes the plain file in place; hashes from the registry are added after it
        subprocess.run([_find("mosquitto_passwd") or "mosquitto_passwd", "-U", str(fresh)], check=True, timeout=30)
        with open(fresh, "a") as f:
            f.writelines(f"{x.id}:{x.password_hash}\n" for x in self.devices if x.password_hash and x.bridge is None)
        fresh.replace(plain)
        acl = d / "acl.new"
        fd = os.open(acl, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(acl_text(self.hall, self.devices))
        acl.replace(d / "acl")
        return plain

    async def update(self, devices: Sequence[DeviceConfig]) -> None:
        """Put a changed device registry in force without a restart: write the password file and
        the ACL again and send Mosquitto SIGHUP, on which it re-reads both (mosquitto.conf(5):
        "Reloaded on reload signal"); a client whose password is gone cannot connect any more
        and the new ACL holds for every client at once."""
        self.devices = tuple(devices)
        await asyncio.to_thread(self._write_access)
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGHUP)
            await self._reloaded()

    async def _reloaded(self) -> None:
        """Wait until Mosquitto has re-read its files: a reload probe user gets a fresh password
        in every password file, so the probe logs in once the new file is in force."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if await _accepts(self.port, RELOAD_USER, self._probe_password):
                return
            await asyncio.sleep(0.01)
        log.warning("the managed Mosquitto did not confirm the reload within %s s", START_SECONDS)

    async def start(self) -> BrokerAddress:
        """Write the files, start Mosquitto and wait until it accepts the server's login. When
        the port was its own choice and another process took it meanwhile, try another free
        port (PORT_TRIES in all); a port asked for, or kept from an earlier start, stays."""
        tries = PORT_TRIES if self.port == 0 and self.requested_port is None else 1
        while True:
            try:
                return await self._start_on_port()
            except PortTaken:
                tries -= 1
                if not tries:
                    raise
                taken, self.port = self.port, free_port()
                log.warning("port %s was taken before the managed Mosquitto could listen; trying %s", taken, self.port)

    async def _start_on_port(self) -> BrokerAddress:
        conf = self.write_files()
        log_path = self.directory / "mosquitto.log"
        start = log_path.stat().st_size if log_path.exists() else 0
        proc = self._proc = _spawn([_find("mosquitto") or "mosquitto", "-c", str(conf)], log_path)
        deadline = time.monotonic() + START_SECONDS
        # the probe user's password is new in this start's password file: a login with it
        # reaches this Mosquitto, not another broker listening on the port
        while not await _accepts(self.port, RELOAD_USER, self._probe_password):
            if proc.poll() is not None:
                self._proc = None
                said = _written_since(log_path, start)[-500:]
                error = PortTaken if "Address already in use" in said else RuntimeError
                raise error(f"mosquitto exited with status {proc.returncode}: {said}")
            if time.monotonic() > deadline:
                await self.stop()
                raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{self.port} within {START_SECONDS} s")
            await asyncio.sleep(0.02)
        return self.address

    async def stop(self) -> None:
        """SIGTERM (Mosquitto saves its persistence file then), SIGKILL if it hangs."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
        try:
            await asyncio.to_thread(proc.wait, 5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            await asyncio.to_thread(proc.wait)

    async def keep_running(self) -> None:
        """Start Mosquitto again whenever it has ended without `stop()` (a crash, the OOM killer),
        on the same port with the same passwords, until cancelled: cancel it before `stop()`."""
        backoff = WATCH_SECONDS
        while True:
            proc = self._proc
            if proc is not None and proc.poll() is None:
                await asyncio.sleep(WATCH_SECONDS)
                continue
            if proc is not None:
                log.error("the managed Mosquitto ended with status %s; starting it again", proc.returncode)
                self.failure = f"the managed Mosquitto ended with status {proc.returncode}; it is being started again"
                self._proc = None
            try:
                await self.start()
                log.warning("the managed Mosquitto runs again on 127.0.0.1:%s", self.port)
                self.failure = None
                backoff = WATCH_SECONDS
            except (RuntimeError, OSError, subprocess.SubprocessError) as err:
                log.error("the managed Mosquitto did not start again: %s; next try in %.1f s", err, backoff)
                self.failure = f"the managed Mosquitto ended and did not start again ({err}); the server keeps trying"
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RESTART_MAX_SECONDS)

    def kill(self) -> None:
        """`kill -9` the broker (for tests of a broker crash); `start()` brings it back."""
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._proc = None


async def _accepts(port: int, username: str, password: str) -> bool:
    """Whether Mosquitto on 127.0.0.1:`port` accepts this login: an MQTT 3.1.1 CONNECT, its
    CONNACK's return code, then DISCONNECT (a few bytes; no client library needed)."""

    def text(value: str) -> bytes:
        data = value.encode()
        return len(data).to_bytes(2, "big") + data

    # protocol name, level 4, flags: user name + password + clean session, keep-alive 10 s
    body = text("MQTT") + bytes([4, 0xC2]) + (10).to_bytes(2, "big")
    body += text(RELOAD_USER) + text(username) + text(password)  # client id, user name, password
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(bytes([0x10, len(body)]) + body)  # the body stays under 128 bytes
        await writer.drain()
        async with asyncio.timeout(2):
            connack = await reader.readexactly(4)
        if connack[0] == 0x20 and connack[3] == 0:
            writer.write(bytes([0xE0, 0]))
            await writer.drain()
            return True
        return False
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _written_since(path: Path, offset: int) -> str:
    """What Mosquitto wrote to its log from `offset` on (the log keeps every earlier start's)."""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace").strip()


def _spawn(argv: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    # A plain function, not a coroutine: the fork happens on the event loop's thread, which
    # lives as long as the process, so PDEATHSIG fires exactly when the server dies. A session
    # of its own keeps a terminal's Ctrl-C from the broker: the server stops it after the
    # gateway has said `$server` = `disconnected`, not before (devices would see `lost`).
    with open(log_path, "ab") as log_file:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            preexec_fn=_die_with_parent,
            start_new_session=True,
        )


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not glibc Linux: the server's own stop() still ends the broker
        pass
