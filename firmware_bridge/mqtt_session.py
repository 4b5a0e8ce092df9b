"""The bridge's MQTT connection: reconnect loop with back-off, last will, subscriptions, presence.

On every (re)connection it subscribes, then publishes the retained `$meta` and `$state` of the
bridge and of each device behind it, the bridge's `ready` last; while connected it publishes each
change of a device's presence; on an orderly stop it marks every device and itself `lost` before
the broker's last will would have to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import aiomqtt

from firmware_bridge.config import BridgeConfig, DeviceConfig
from firmware_bridge.presence import Presence
from qms.contract import Broker, DeviceKind, DeviceMeta, DeviceState, Reconnect, presence, topics

log = logging.getLogger(__name__)

VERSION = "1.0"
KEEPALIVE = 10  # seconds: the broker notices a dead bridge within 1.5x this (at once for a closed socket)
#: without it Nagle's algorithm holds a small packet (a PUBACK, an event) back until the broker's
#: delayed ACK of the previous one, up to 40 ms on every press-to-display round
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


class MqttSession:
    """One bridge's connection to the broker, for as long as `run()` runs."""

    def __init__(
        self,
        config: BridgeConfig,
        hall: str,
        broker: Broker,
        presence_: Presence,
        on_message: Callable[[str, bytes], None],
        firmware: Callable[[str], str],
        reconnect_max: float = 10.0,
    ) -> None:
        self.config = config
        self.hall = hall
        self.broker = broker
        self.presence = presence_
        self.client: aiomqtt.Client | None = None  # set while connected and subscribed
        self.connected = asyncio.Event()
        self.farewell = asyncio.Event()  # the orderly stop's `lost` states are out
        self._on_message = on_message
        self._firmware = firmware
        self._reconnect_max = reconnect_max

    async def run(self, stopping: asyncio.Event) -> None:
        """Connect, serve, reconnect with back-off; say goodbye once `stopping` is set."""
        retry = Reconnect(most=self._reconnect_max, stable=KEEPALIVE)
        will = aiomqtt.Will(self._state_topic(self.config.id), presence(DeviceState.LOST), qos=1, retain=True)
        while True:
            error: aiomqtt.MqttError | None = None
            try:
                async with aiomqtt.Client(
                    self.broker.host,
                    self.broker.port,
                    username=self.broker.username,
                    password=self.broker.password,
                    identifier=self.config.id,
                    will=will,
                    keepalive=KEEPALIVE,
                    timeout=10,
                    socket_options=NO_DELAY,
                ) as client:
                    retry.connected(time.monotonic())
                    try:
                        await self._connected(client)
                        await self._serve(client, stopping)
                    finally:  # also when the broker went away half-way through `_connected`
                        self.client = None
                        self.connected.clear()
            except aiomqtt.MqttError as lost:
                error = lost
            wait, note = retry.lost(time.monotonic(), self.config.id)
            log.warning("broker %s:%s: %s%s; again in %.1f s", self.broker.host, self.broker.port, error, note, wait)
            await asyncio.sleep(wait)

    async def publish_meta(self, device: DeviceConfig) -> None:
        """Publish a device's `$meta` (retained) if connected; a reconnect publishes it anyway."""
        client = self.client
        if client is None:
            return
        meta = DeviceMeta(device.kind, device.model, self._firmware(device.id), parent=self.config.id)
        with contextlib.suppress(aiomqtt.MqttError):
            await client.publish(topics.device_meta(self.hall, device.id), meta.encode(), qos=1, retain=True)

    def _state_topic(self, device_id: str) -> str:
        return topics.device_state(self.hall, device_id)

    async def _connected(self, client: aiomqtt.Client) -> None:
        self.presence.all_published()  # every state goes out below
        subscriptions = []
        for device in self.config.devices:
            subscriptions.append((f"{topics.root(self.hall)}/dev/{device.id}/cmd/+", 1))
            subscriptions.append((topics.device_ack(self.hall, device.id), 1))
        windows = {d.window for d in self.config.devices if d.kind is DeviceKind.LED_BAR and d.window}
        subscriptions += [(topics.window_display(self.hall, w), 1) for w in sorted(windows)]
        await client.subscribe(subscriptions)
        self.client = client  # from here on a press can be published
        meta = DeviceMeta(DeviceKind.BRIDGE, "qms firmware_bridge", VERSION)
        await client.publish(topics.device_meta(self.hall, self.config.id), meta.encode(), qos=1, retain=True)
        for device in self.config.devices:
            await self.publish_meta(device)
            state = presence(self.presence.states[device.id])
            await client.publish(self._state_topic(device.id), state, qos=1, retain=True)
        await client.publish(self._state_topic(self.config.id), presence(DeviceState.READY), qos=1, retain=True)
        self.connected.set()
        log.info("connected to %s:%s as %s", self.broker.host, self.broker.port, self.config.id)

    async def _serve(self, client: aiomqtt.Client, stopping: asyncio.Event) -> None:
        reading = asyncio.create_task(self._read(client))
        states = asyncio.create_task(self._publish_states(client))
        stop: asyncio.Task[Any] = asyncio.create_task(stopping.wait())
        try:
            done, _ = await asyncio.wait((reading, states, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reading, states, stop):
                task.cancel()
            await asyncio.gather(reading, states, stop, return_exceptions=True)
        for task in done:
            if task is not stop:
                task.result()  # an MqttError: reconnect
        # An orderly stop: say so before the will can.
        with contextlib.suppress(aiomqtt.MqttError):
            for device in self.config.devices:
                await client.publish(self._state_topic(device.id), presence(DeviceState.LOST), qos=1, retain=True)
            await client.publish(self._state_topic(self.config.id), presence(DeviceState.LOST), qos=1, retain=True)
        self.farewell.set()
        await asyncio.Event().wait()  # the bridge cancels us

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes | bytearray) else b""
            self._on_message(str(message.topic), bytes(payload))

    async def _publish_states(self, client: aiomqtt.Client) -> None:
        while True:
            for device_id, state in await self.presence.changed_states():
                await client.publish(self._state_topic(device_id), presence(state), qos=1, retain=True)
