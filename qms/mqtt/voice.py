"""Announcements to the hall's speakers over MQTT (`voice/<zone>`).

The announcer hands each announcement to its sinks when its turn to play comes (one at a
time per zone, never overlapping); this sink publishes it to the zone's players with the
audio's absolute URL. Not retained, and not queued while the broker is away: a call said
minutes late would only confuse the waiting area, and the screens still show it.
"""

from __future__ import annotations

import asyncio
import logging

from qms.voice.announcer import Announcement

from .link import DeviceLink

log = logging.getLogger(__name__)


class VoiceOverMqtt:
    """An announcer sink publishing `voice/<zone>` through the device link's gateway."""

    def __init__(self, link: DeviceLink) -> None:
        self.link = link
        self._sending: set[asyncio.Task[bool]] = set()

    def deliver(self, announcement: Announcement) -> None:
        """Publish in the background: a sink must not block the announcer."""
        gateway = self.link.gateway
        if gateway is None:  # no broker this run
            return
        message = announcement.voice_message(self.link.base_url)
        task = asyncio.get_running_loop().create_task(
            gateway.announce(announcement.zone, message["text"], message["audio_url"])
        )
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[bool]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("voice/<zone> not published: %r", task.exception())
