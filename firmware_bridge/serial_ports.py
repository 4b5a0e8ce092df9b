"""The serial ports, on pyserial-asyncio-fast: a reopen loop around a sans-I/O link.

`SerialPort.run()` opens the port, feeds what arrives to its link, writes what the link wants to
send, runs the link's timers, and when the port goes away (USB adapter unplugged, pty closed,
cable cut at the adapter) reports the loss and reopens it with a growing back-off, for as long
as the bridge runs. One task per port; the links decide everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any

import serial
from serial_asyncio_fast import create_serial_connection

from firmware_bridge.config import PortConfig
from firmware_bridge.host import DeviceAbsent, DeviceInput, HostLink, LinkEvent
from firmware_bridge.messages import HostCommand
from firmware_bridge.printer import PrinterEvent, PrinterLink

log = logging.getLogger(__name__)

REOPEN_FIRST = 0.2  # seconds before the first reopen
REOPEN_MAX = 10.0


class PrinterUnavailable(Exception):
    """The printer cannot print now; `code` goes into the MQTT ack."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Protocol(asyncio.Protocol):
    def __init__(self, port: SerialPort) -> None:
        self.port = port
        self.lost = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        self.port._received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set()
        self.port._wake.set()


def _same(protocol: _Protocol) -> _Protocol:
    return protocol


class SerialPort:
    """A port with a reopen loop; subclasses connect it to their link."""

    def __init__(self, config: PortConfig) -> None:
        self.config = config
        self.connected = False
        self._transport: asyncio.Transport | None = None
        self._wake = asyncio.Event()
        self._idle: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    async def run(self) -> None:
        """Open, serve, reopen after loss; until cancelled."""
        backoff = REOPEN_FIRST
        while True:
            protocol = _Protocol(self)
            try:
                transport, _ = await create_serial_connection(
                    self._loop,
                    functools.partial(_same, protocol),
                    self.config.path,
                    baudrate=self.config.baudrate,
                    exclusive=True,
                )
            except (serial.SerialException, OSError, ValueError) as error:
                log.warning(
                    "port %s (%s): cannot open: %s; again in %.1f s", self.config.name, self.config.path, error, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, REOPEN_MAX)
                continue
            self._transport = transport
            self.connected = True
            log.info("port %s (%s) open", self.config.name, self.config.path)
            try:
                await self._serve(protocol)
                backoff = REOPEN_FIRST
            finally:
                self.connected = False
                self._transport = None
                if self._idle is not None:
                    self._idle.cancel()
                if not protocol.lost.is_set():
                    transport.abort()  # close without draining: the other end may be gone
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(2):
                            await asyncio.shield(protocol.lost.wait())
            log.warning("port %s (%s) lost; reopening", self.config.name, self.config.path)
            self._lost(self._loop.time())
            await asyncio.sleep(REOPEN_FIRST)

    async def _serve(self, protocol: _Protocol) -> None:
        self._opened(self._loop.time())
        while not protocol.lost.is_set():
            now = self._loop.time()
            deadline = self._tick(now)
            self._flush()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(deadline - self._loop.time(), 0.0)):
                    await self._wake.wait()

    def write(self, data: bytes) -> None:
        """Write to the port if it is open (bytes for a closed port are dropped: the link retries)."""
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _received(self, data: bytes) -> None:
        now = self._loop.time()
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self._feed(data, now)
        self._flush()
        if self._pending():
            self._idle = self._loop.call_later(self.config.frame_gap, self._line_idle)

    def _line_idle(self) -> None:
        self._idle = None
        self._gap(self._loop.time())
        self._flush()

    # hooks
    def _opened(self, now: float) -> None: ...
    def _feed(self, data: bytes, now: float) -> None: ...
    def _gap(self, now: float) -> None: ...
    def _pending(self) -> bool:
        return False

    def _tick(self, now: float) -> float:
        return now + 1.0

    def _flush(self) -> None: ...
    def _lost(self, now: float) -> None: ...


class BusPort(SerialPort):
    """An RS-485 bus of framed devices (PROTOCOL.md)."""

    def __init__(self, config: PortConfig, link: HostLink, on_events: Callable[[list[LinkEvent]], Any]) -> None:
        super().__init__(config)
        self.link = link
        self._on_events = on_events

    def send(self, address: int, command: HostCommand) -> int:
        """Send a command; its `CommandResult` comes through `on_events`. Raises DeviceAbsent."""
        if not self.connected:
            raise DeviceAbsent(f"port {self.config.name} is not open")
        token = self.link.send(address, command, self._loop.time())
        self._flush()
        self._wake.set()  # its retry deadline is earlier than what the port sleeps for
        return token

    def confirm(self, press: DeviceInput, ok: bool) -> None:
        """Acknowledge (or refuse) a device's input once the broker has it."""
        self.link.confirm(press, ok)
        self._flush()

    def _opened(self, now: float) -> None:
        self._emit(self.link.tick(now))

    def _feed(self, data: bytes, now: float) -> None:
        self._emit(self.link.receive(data, now))

    def _gap(self, now: float) -> None:
        self._emit(self.link.line_idle(now))

    def _pending(self) -> bool:
        return self.link.decoder.pending > 0

    def _tick(self, now: float) -> float:
        self._emit(self.link.tick(now))
        return self.link.next_deadline()

    def _flush(self) -> None:
        self.write(self.link.data_to_send())

    def _lost(self, now: float) -> None:
        self._emit(self.link.port_lost(now))

    def _emit(self, events: list[LinkEvent]) -> None:
        if events:
            self._on_events(events)


class PrinterPort(SerialPort):
    """One ESC/POS printer."""

    def __init__(self, config: PortConfig, link: PrinterLink, on_events: Callable[[list[PrinterEvent]], Any]) -> None:
        super().__init__(config)
        self.link = link
        self._on_events = on_events

    def print_job(self, job: bytes) -> None:
        """Hand a whole job to the printer. Raises PrinterUnavailable (paper_out, printer_fault, printer_lost)."""
        if not self.connected or self.link.present is not True:
            raise PrinterUnavailable("printer_lost", "the printer is not answering")
        if self.link.flags & self.link.flags.PAPER_OUT:
            raise PrinterUnavailable("paper_out", "the printer is out of paper (缺纸)")
        if not self.link.can_print:
            raise PrinterUnavailable("printer_fault", "the printer reports an error (cover open?)")
        self.write(job)

    def _opened(self, now: float) -> None:
        self._emit(self.link.tick(now))

    def _feed(self, data: bytes, now: float) -> None:
        self._emit(self.link.receive(data, now))

    def _tick(self, now: float) -> float:
        self._emit(self.link.tick(now))
        return self.link.next_deadline()

    def _flush(self) -> None:
        self.write(self.link.data_to_send())

    def _lost(self, now: float) -> None:
        self._emit(self.link.port_lost(now))

    def _emit(self, events: list[PrinterEvent]) -> None:
        if events:
            self._on_events(events)
