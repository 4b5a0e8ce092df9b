"""The LED bar driver: one process per window bar, an MQTT subscriber of its window's display.

    python -m displays.ledbar --broker mqtt://led-w1:PASSWORD@127.0.0.1:1883 --hall qingyuan --window w1

It subscribes to `window/<win>/display` and `$server`, renders the text for a bar of
`--width` half-width columns (16: eight Chinese characters) with `displays.render`, scrolls
what does not fit, and shows "系统维护中" while the server is lost or stopped or the broker
cannot be reached; when they come back it shows the window's display again. A frame whose
`seq` is not above the last one shown is stale or repeated, and dropped. An empty retained
message (the server clears the display of a window removed from the hall) blanks the bar. As a device it
announces itself (`dev/<dev>/$state` with a last will, `$meta`).

Frames go to `--output` (default stdout) as JSON lines `{"t", "seq", "ticket", "frame"}`:
the hardware adapter of a real bar (or a test) reads them. Only changed frames are written.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import socket
import sys
import time
from typing import TextIO

import aiomqtt

from qms.contract import (
    Broker,
    ContractError,
    DeviceKind,
    DeviceMeta,
    DeviceState,
    Reconnect,
    ServerState,
    TopicKind,
    WindowDisplay,
    parse_topic,
    presence,
    topics,
)

from .render import MAINTENANCE, render

log = logging.getLogger("displays.ledbar")
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)  # no Nagle: frames must not wait for ACKs
KEEPALIVE = 10  # seconds
MIN_STEP = 0.02  # seconds per scroll step: faster is a blur on any bar


class LedBar:
    """The driver's state: the last display accepted, the server's presence, the connection."""

    def __init__(self, hall: str, window: str, width: int, out: TextIO, step_seconds: float = 0.3) -> None:
        self.hall = hall
        self.window = window
        self.width = width
        self.out = out
        self.step_seconds = step_seconds
        self.display: WindowDisplay | None = None
        self.server: ServerState | None = None
        self.connected = False
        self._offset = 0
        self._last_frame: str | None = None
        self._changed = asyncio.Event()

    def text(self) -> str:
        """What the bar should say now."""
        if not self.connected or self.server is not ServerState.READY:
            return MAINTENANCE
        return self.display.text if self.display is not None else ""

    def on_message(self, topic_text: str, payload: bytes) -> None:
        """Take one message of the window's display or the server's presence."""
        try:
            topic = parse_topic(topic_text)
            if topic.kind is TopicKind.SERVER:
                self.server = ServerState.decode(payload)
            elif topic.kind is TopicKind.DISPLAY and topic.window == self.window and not payload:
                self.display = None  # the retained state was cleared: the hall no longer has this window
            elif topic.kind is TopicKind.DISPLAY and topic.window == self.window:
                display = WindowDisplay.decode(payload)
                if self.display is not None and display.seq <= self.display.seq:
                    return  # stale or repeated
                self.display = display
            else:
                return
        except ContractError as err:
            log.warning("ignored a message on %s: %s", topic_text, err)
            return
        self._offset = 0
        self.show()

    def set_connected(self, connected: bool) -> None:
        self.connected = connected
        self._offset = 0
        self.show()

    def show(self) -> None:
        """Render and write the frame if it changed; wake the scroller."""
        frame = render(self.text(), self.width, self._offset)
        if frame.text != self._last_frame:
            self._last_frame = frame.text
            seq = self.display.seq if self.display is not None else None
            ticket = self.display.ticket if self.display is not None else None
            line = json.dumps({"t": time.time(), "seq": seq, "ticket": ticket, "frame": frame.text}, ensure_ascii=False)
            self.out.write(line + "\n")
            self.out.flush()
        self._changed.set()

    async def scroll(self) -> None:
        """Move scrolling text one column per step; sleep while the text stands still."""
        while True:
            frame = render(self.text(), self.width, self._offset)
            if not frame.scrolling:
                self._changed.clear()
                await self._changed.wait()
                continue
            await asyncio.sleep(self.step_seconds)
            self._offset = (self._offset + 1) % frame.period
            self.show()


async def run(bar: LedBar, broker: Broker, device: str | None) -> None:
    """Keep connected (waits of 0.2 s to 2 s between tries, see `Reconnect`) and drive the bar until cancelled."""
    scroller = asyncio.create_task(bar.scroll())
    will = aiomqtt.Will(topics.device_state(bar.hall, device), presence(DeviceState.LOST), 1, True) if device else None
    retry = Reconnect(most=2.0, stable=KEEPALIVE)
    try:
        while True:
            error: aiomqtt.MqttError | None = None
            try:
                async with aiomqtt.Client(
                    broker.host,
                    broker.port,
                    username=broker.username,
                    password=broker.password,
                    identifier=device,
                    will=will,
                    keepalive=KEEPALIVE,
                    timeout=5,
                    socket_options=NO_DELAY,
                ) as client:
                    await client.subscribe(
                        [(topics.window_display(bar.hall, bar.window), 1), (topics.server(bar.hall), 1)]
                    )
                    if device:
                        meta = DeviceMeta(DeviceKind.LED_BAR, model="qms-ledbar", firmware="1")
                        await client.publish(topics.device_meta(bar.hall, device), meta.encode(), qos=1, retain=True)
                        await client.publish(
                            topics.device_state(bar.hall, device), presence(DeviceState.READY), qos=1, retain=True
                        )
                    bar.set_connected(True)
                    retry.connected(time.monotonic())
                    async for message in client.messages:
                        payload = message.payload
                        data = bytes(payload) if isinstance(payload, bytes | bytearray) else str(payload).encode()
                        bar.on_message(message.topic.value, data)
            except aiomqtt.MqttError as lost:
                error = lost
            bar.set_connected(False)
            wait, note = retry.lost(time.monotonic(), device)
            log.warning("broker %s:%s: %s%s", broker.host, broker.port, error, note)
            await asyncio.sleep(wait)
    finally:
        scroller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await scroller


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m displays.ledbar", description="LED bar driver for one window")
    p.add_argument("--broker", default=os.environ.get("QMS_LEDBAR_BROKER"), help="mqtt://user:password@host:port")
    p.add_argument("--hall", required=True)
    p.add_argument("--window", required=True, help="window id, e.g. w1")
    p.add_argument("--width", type=int, default=16, help="columns of the bar (a Chinese character takes two)")
    p.add_argument("--step", type=float, default=0.3, help="seconds per scroll step")
    p.add_argument("--device", help="this bar's device id (default: the broker user name)")
    p.add_argument("--password-file", help="read the broker password from this file")
    p.add_argument("--output", default="-", help="where frames go: - for stdout, or a file")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.broker:
        p.error("--broker (or QMS_LEDBAR_BROKER) is required")
    try:
        broker = Broker.from_url(args.broker)
        topics.window_display(args.hall, args.window)
        if args.width < 2:
            raise ValueError("--width must be at least 2")
        if not args.step >= MIN_STEP:  # `not >=`: NaN too; a step of 0 would redraw without pause
            raise ValueError(f"--step must be at least {MIN_STEP} seconds")
    except (ValueError, ContractError) as err:
        p.error(str(err))
    if args.password_file:
        try:
            with open(args.password_file, encoding="utf-8") as f:
                broker = Broker(broker.host, broker.port, broker.username, f.read().strip())
        except (OSError, UnicodeDecodeError) as err:
            p.error(f"cannot read the broker password from {args.password_file}: {err}")
    try:
        out = sys.stdout if args.output == "-" else open(args.output, "a", encoding="utf-8")  # noqa: SIM115
    except OSError as err:
        p.error(f"cannot write frames to {args.output}: {err}")
    bar = LedBar(args.hall, args.window, args.width, out, args.step)
    bar.show()  # 系统维护中 until the broker and the server are there
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(bar, broker, args.device or broker.username))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
