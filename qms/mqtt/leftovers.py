"""Retained state at the broker of windows and zones the hall no longer has, cleared at connect.

The broker keeps a window's display and a zone's screen until someone clears them. The gateway
clears those it saw removed while it ran, but a window or zone removed while the server was
stopped (a hall file edited, a database restored) would keep its last number on every bar or
screen that subscribes to it later. So at every connect the gateway subscribes briefly to its
hall's display and screen wildcards, whose retained messages the broker sends at once, and
clears (an empty retained payload, MQTT's way to delete one) those of windows and zones not in
the current layout. Only topics under the hall's own root are asked for: another hall's state on
a shared broker is never touched.

When the scan ends: the gateway subscribes to its own `$server` in the same SUBSCRIBE and
announces `ready` right after it. A broker hands one client its messages in the order it queued
them, and it queues a subscription's retained messages before it handles the client's next
packet, so the echo of that `ready` (not retained: it comes by the subscription, not from the
store) follows every retained message asked for. A broker that does not keep that order only
makes the scan last SCAN_SECONDS.

The scan runs beside the connection, after `ready`: it delays nothing, and the connection's own
loop, which hands it the messages, sees at once when the broker goes (an acknowledgement the
scan awaits then never comes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiomqtt

from qms.contract import Topic, TopicKind, parse_topic, topics

log = logging.getLogger(__name__)

SCAN_SECONDS = 2.0  # a bound only: Mosquitto ends the scan within milliseconds
LEFT_OVER = (TopicKind.DISPLAY, TopicKind.SCREEN)  # what the broker may keep of a window or zone


def scan_filters(hall: str) -> list[str]:
    """What to subscribe to, with the devices' topics, before announcing `ready`."""
    return [topics.all_window_displays(hall), topics.all_screens(hall), topics.server(hall)]


class LeftoverScan:
    """One connection's scan: `offer` it the hall's messages that are no device's, and run
    `clear` as a task beside them."""

    def __init__(self, client: aiomqtt.Client, hall: str, in_layout: Callable[[Topic], bool]) -> None:
        self.client = client
        self.hall = hall
        self.in_layout = in_layout
        self.cleared: list[str] = []
        self._found: asyncio.Queue[str | None] = asyncio.Queue()  # leftover topics; None: the echo
        self._over = False

    def offer(self, topic: Topic, message: aiomqtt.Message) -> None:
        """Note a leftover display or screen, or the echo of `ready`; ignore anything else (our
        own publications coming back until the broker has the unsubscribe among them)."""
        if self._over or topic.hall != self.hall:
            return
        if topic.kind is TopicKind.SERVER:
            if not message.retain:  # our own `ready`: every retained message came before it
                self._found.put_nowait(None)
        elif topic.kind in LEFT_OVER and message.retain and message.payload and not self.in_layout(topic):
            self._found.put_nowait(message.topic.value)

    async def clear(self) -> None:
        """Clear the leftovers offered until the echo of `ready` (or SCAN_SECONDS), then
        unsubscribe from the scan's filters. A broker gone meanwhile ends it quietly: the
        next connection scans again."""
        try:
            try:
                async with asyncio.timeout(SCAN_SECONDS):
                    while (topic := await self._found.get()) is not None:
                        await self._clear(topic)
            except TimeoutError:
                log.info("hall %s: no echo of `ready` within %s s; the leftover scan ends", self.hall, SCAN_SECONDS)
            self._over = True
            await self.client.unsubscribe(scan_filters(self.hall))
        except aiomqtt.MqttError as err:
            log.debug("hall %s: the leftover scan ended with the connection: %s", self.hall, err)
        if self.cleared:
            found = ", ".join(self.cleared)
            log.info("hall %s: cleared the retained state of what the layout no longer has: %s", self.hall, found)

    async def _clear(self, topic: str) -> None:
        # looked at again right before the publish, with no await between: a window added since
        # it was offered is kept, and one added after this has its display published after it
        parsed = parse_topic(topic)
        if not self.in_layout(parsed):
            await self.client.publish(topic, b"", qos=1, retain=True)
            self.cleared.append(topic)
