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
makes the scan last SCAN_SECONDS. The scan runs after `ready`, so it delays nothing; device
events arriving meanwhile are handed on as usual.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiomqtt

from qms.contract import ContractError, Topic, TopicKind, parse_topic, topics

log = logging.getLogger(__name__)

SCAN_SECONDS = 2.0  # a bound only: Mosquitto ends the scan within milliseconds


def scan_filters(hall: str) -> list[str]:
    """What to subscribe to, with the devices' topics, before announcing `ready`."""
    return [topics.all_window_displays(hall), topics.all_screens(hall), topics.server(hall)]


async def clear_leftovers(
    client: aiomqtt.Client,
    hall: str,
    in_layout: Callable[[Topic], bool],
    dispatch: Callable[[aiomqtt.Message], None],
) -> list[str]:
    """Clear each retained display or screen of `hall` that `in_layout` disowns, until the echo of
    `ready` (or SCAN_SECONDS); other messages go to `dispatch`. Then unsubscribe from the scan's
    filters. Returns the topics cleared."""
    cleared: list[str] = []
    try:
        async with asyncio.timeout(SCAN_SECONDS):
            async for message in client.messages:
                topic = _parsed(message.topic.value, hall)
                if topic is None or topic.kind not in (TopicKind.DISPLAY, TopicKind.SCREEN, TopicKind.SERVER):
                    dispatch(message)
                elif topic.kind is TopicKind.SERVER:
                    if not message.retain:  # our own `ready`: every retained message came before it
                        break
                elif message.retain and message.payload and not in_layout(topic):
                    # no await between the look at the layout and this publish: a window added
                    # meanwhile has its display published after the clear, never before it
                    await client.publish(message.topic.value, b"", qos=1, retain=True)
                    cleared.append(message.topic.value)
    except TimeoutError:
        log.info("hall %s: the broker did not echo `ready` within %s s; leftover scan ended", hall, SCAN_SECONDS)
    await client.unsubscribe(scan_filters(hall))
    if cleared:
        log.info("hall %s: cleared the retained state of what the layout no longer has: %s", hall, ", ".join(cleared))
    return cleared


def _parsed(topic: str, hall: str) -> Topic | None:
    try:
        parsed = parse_topic(topic)
    except ContractError:
        return None
    return parsed if parsed.hall == hall else None
