"""The announcer: every stored call of a hall becomes an announcement, played in turn per zone.

It subscribes to the hall's events (`HallService.subscribe()`), so it says only what is
stored. For each `TicketCalled` (a recall too) it composes the announcement - the words,
then the audio from the voice pack - and puts it in its zone's queue. A zone's queue hands
its announcements to the sinks (the player stream, MQTT `voice/<zone>` and the screen
page) one at a time, each when the one before has had time to play out plus a gap, so
players that simply play what they get never talk over each other or cut a call short.

Order is kept from event to speaker: calls are composed one after the other on one task,
and a zone's queue is first in, first out. A recall goes to the back of the queue like any
call (the same call still waiting is not queued twice). The backlog of a zone is bounded:
while it is half full, calls are said once instead of `repeat` times; when it is full the
oldest waiting announcement is dropped, logged and counted in `status()`. An announcement's
audio travels with it while it waits and is served (`audio()`) from its release on, for the
last `KEEP_AUDIO` released in the hall.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from qms.core.events import TicketCalled
from qms.core.model import Ticket
from qms.service import HallService, Subscription

from . import audio
from .pack import VoicePack
from .phrases import CallFacts, Lang, Phrase, Segment, SegmentKind, Template, say_call
from .settings import VoiceConfig, announcement_segments

log = logging.getLogger(__name__)

KEEP_AUDIO = 64  # announcements released last whose audio is kept for players to fetch


@dataclass(frozen=True, slots=True)
class Announcement:
    """One call to be spoken in one zone; `audio_url` is None when there is no voice."""

    id: str
    seq: int
    hall: str
    zone: str
    ticket: str  # the ticket's number, "A023"
    ticket_id: str
    window: str
    window_number: int
    text: str  # Mandarin, as shown: 请A023号到5号窗口办理
    text_en: str
    audio_url: str | None
    duration_seconds: float
    recall: bool
    at: datetime  # when the call was made
    # The audio travels with the announcement while it waits in its zone's queue and is
    # served from the announcer's recent store once released (players fetch it then).
    wav: bytes | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The announcement as players and screens receive it."""
        return {
            "type": "announcement",
            "id": self.id,
            "seq": self.seq,
            "hall": self.hall,
            "zone": self.zone,
            "ticket": self.ticket,
            "window": self.window,
            "window_number": self.window_number,
            "text": self.text,
            "text_en": self.text_en,
            "audio_url": self.audio_url,
            "duration_seconds": round(self.duration_seconds, 3),
            "recall": self.recall,
            "at": self.at.isoformat(),
        }

    def voice_message(self, base_url: str) -> dict[str, Any]:
        """The payload of MQTT `voice/<zone>` (DESIGN.md's contract: `{seq, text, audio_url}`),
        with the audio's URL made absolute against the server's `base_url` for players
        elsewhere in the hall."""
        url = None if self.audio_url is None else base_url.rstrip("/") + self.audio_url
        return {
            "seq": self.seq,
            "text": self.text,
            "text_en": self.text_en,
            "audio_url": url,
            "ticket": self.ticket,
            "window_number": self.window_number,
            "duration_seconds": round(self.duration_seconds, 3),
        }


class AnnouncementSink(Protocol):
    """Where announcements go when their turn comes (must not block: queue and return)."""

    def deliver(self, announcement: Announcement) -> None: ...


def audio_path(hall: str, announcement_id: str) -> str:
    """The path under which the server serves an announcement's WAV."""
    return f"/api/v1/halls/{hall}/voice/{announcement_id}.wav"


class ZoneQueue:
    """One zone's announcements in order, released one at a time, paced by their length."""

    def __init__(self, zone: str, backlog: int, gap_seconds: float, release: Callable[[Announcement], None]) -> None:
        self.zone = zone
        self.backlog = backlog
        self.gap_seconds = gap_seconds
        self._release = release
        self._waiting: deque[Announcement] = deque()
        self._wake = asyncio.Event()
        self.busy_until = 0.0  # monotonic time when the announcement being played has ended
        self.played = 0
        self.dropped = 0
        self.merged = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def put(self, announcement: Announcement) -> None:
        """Queue an announcement at the back; see the module docstring for a full backlog."""
        for waiting in self._waiting:
            if waiting.ticket_id == announcement.ticket_id and waiting.window == announcement.window:
                self.merged += 1  # the same call is still waiting: it will be said anyway
                return
        if len(self._waiting) >= self.backlog:
            lost = self._waiting.popleft()
            self.dropped += 1
            log.warning(
                "voice zone %s: backlog of %d full, dropped the call of %s to window %s",
                self.zone,
                self.backlog,
                lost.ticket,
                lost.window,
            )
        self._waiting.append(announcement)
        self._wake.set()

    async def run(self) -> None:
        while True:
            while not self._waiting:
                self._wake.clear()
                await self._wake.wait()
            rest = self.busy_until - time.monotonic()
            if rest > 0:
                await asyncio.sleep(rest)
            announcement = self._waiting.popleft()
            self.busy_until = time.monotonic() + announcement.duration_seconds + self.gap_seconds
            self.played += 1
            self._release(announcement)

    def status(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "waiting": len(self._waiting),
            "backlog": self.backlog,
            "played": self.played,
            "dropped": self.dropped,
            "merged": self.merged,
        }


class Announcer:
    """Turns a hall's calls into announcements for any number of sinks; see the module docstring."""

    def __init__(self, service: HallService, config: VoiceConfig, pack: VoicePack | None) -> None:
        self.service = service
        self.config = config
        self.pack = pack if config.enabled else None
        self._sinks: list[AnnouncementSink] = []
        self._zones: dict[str, ZoneQueue] = {}
        self._audio: OrderedDict[str, bytes] = OrderedDict()
        self._boot = secrets.token_hex(3)  # ids stay unique across restarts of the server
        self._seq = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._subscription: Subscription | None = None
        self._templates: dict[str, tuple[Template, Template]] = {}
        self.composed = 0
        self.failed = 0
        self.ready = asyncio.Event()  # set once the pack holds every segment the hall needs
        for zone in service.config.zones():
            self._queue(zone)

    @property
    def hall(self) -> str:
        return self.service.id

    @property
    def zones(self) -> list[str]:
        """The hall's waiting areas: those with a queue here and those of its windows now (the
        layout may change while it runs)."""
        return list(dict.fromkeys([*self._zones, *self.service.config.zones()]))

    def add_sink(self, sink: AnnouncementSink) -> None:
        self._sinks.append(sink)

    def remove_sink(self, sink: AnnouncementSink) -> None:
        with contextlib.suppress(ValueError):
            self._sinks.remove(sink)

    def audio(self, announcement_id: str) -> bytes | None:
        """The WAV of an announcement released lately (the last `KEEP_AUDIO`), or None."""
        return self._audio.get(announcement_id)

    def status(self) -> dict[str, Any]:
        """What the hall's voice is doing: engine, pack, and each zone's queue."""
        pack = self.pack
        return {
            "hall": self.hall,
            "voice": pack is not None and (pack.engine is not None or pack.recorded is not None),
            "engine": pack.engine.name if pack is not None and pack.engine is not None else None,
            "recorded_pack": pack.recorded.name if pack is not None and pack.recorded is not None else None,
            "ready": self.ready.is_set(),
            "composed": self.composed,
            "failed": self.failed,
            "zones": [q.status() for q in self._zones.values()],
        }

    async def start(self) -> None:
        """Subscribe to the hall's events and start the queues; the pack warms up in the background."""
        self._subscription = self.service.subscribe(10_000)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen(), name=f"voice-{self.hall}")]
        self._tasks += [loop.create_task(q.run(), name=f"voice-{self.hall}-{q.zone}") for q in self._zones.values()]
        self._tasks.append(loop.create_task(self._warm_up(), name=f"voice-{self.hall}-pack"))

    async def stop(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.pack is not None and self.pack.engine is not None:
            await self.pack.engine.close()

    async def _warm_up(self) -> None:
        if self.pack is None:
            self.ready.set()
            return
        segments = self.hall_segments()
        started = time.monotonic()
        failed = await self.pack.prepare(segments)
        if failed:
            log.warning("voice of hall %s: %d segments could not be rendered", self.hall, len(failed))
        else:
            log.info(
                "voice of hall %s: %d segments ready in %.1f s (%d rendered)",
                self.hall,
                len(segments),
                time.monotonic() - started,
                self.pack.stats["rendered"],
            )
        self.ready.set()

    def hall_segments(self) -> list[Segment]:
        """Every segment the hall's calls can need: digits, prefix letters, window and floor
        numbers, each template's fixed words and the service names it says."""
        langs = [Lang.ZH, Lang.EN] if self.config.english else [Lang.ZH]
        hall = self.service.config
        letters = sorted({ch for s in hall.services for ch in s.prefix})
        numbers = sorted({w.number for w in hall.windows} | {w.floor for w in hall.windows if w.floor is not None})
        out: list[Segment] = []
        for lang in langs:
            out += [Segment(SegmentKind.DIGIT, str(d), lang) for d in range(10)]
            out += [Segment(SegmentKind.LETTER, ch, lang) for ch in letters]
            out += [Segment(SegmentKind.NUMBER, str(n), lang) for n in numbers]
            for s in hall.services:
                zh, en = self._templates_for(s.id)
                template = zh if lang is Lang.ZH else en
                facts = CallFacts("A0", 1, 1, s.name, s.name_en)
                out += [seg for seg in say_call(facts, template).segments if seg.kind is SegmentKind.TEXT]
        return out

    def _templates_for(self, service: str) -> tuple[Template, Template]:
        templates = self._templates.get(service)
        if templates is None:
            templates = self._templates[service] = self.config.templates(service)
        return templates

    async def _listen(self) -> None:
        while self._subscription is not None:
            subscription = self._subscription
            async for event in subscription:
                if isinstance(event, TicketCalled):
                    await self._announce(event)
            if not subscription.overflowed:
                return  # the hall stopped
            # Fallen 10,000 events behind (a stalled disk under the cache?): the calls in
            # between are lost to the speakers, but the calls from now on must be heard.
            log.error("voice of hall %s fell too far behind the hall's events; calls were skipped", self.hall)
            self.failed += 1
            self._subscription = self.service.subscribe(10_000)

    async def _announce(self, event: TicketCalled) -> None:
        try:
            announcement = await self.compose(event)
        except Exception:  # a bad call must not silence the hall's later calls
            self.failed += 1
            log.exception("voice of hall %s: could not compose the call of %s", self.hall, event.ticket_id)
            return
        if announcement is not None:
            self._queue(announcement.zone).put(announcement)

    def _queue(self, zone: str) -> ZoneQueue:
        """The zone's queue; a zone the layout gained since start-up gets one, playing at once."""
        queue = self._zones.get(zone)
        if queue is None:
            queue = self._zones[zone] = ZoneQueue(zone, self.config.backlog, self.config.gap_seconds, self._deliver)
            if self._tasks:  # started: `start()` starts the queues known before
                task = asyncio.get_running_loop().create_task(queue.run(), name=f"voice-{self.hall}-{zone}")
                self._tasks.append(task)
        return queue

    def _ticket(self, ticket_id: str) -> Ticket | None:
        hall = self.service.hall
        ticket = hall.yesterday.get(ticket_id)
        if ticket is not None:
            return ticket
        try:
            return hall.ticket(ticket_id)
        except Exception:
            return None

    async def compose(self, event: TicketCalled) -> Announcement | None:
        """The announcement of a call, with its audio ready (when there is a voice)."""
        ticket = self._ticket(event.ticket_id)
        window = next((w for w in self.service.config.windows if w.id == event.window), None)
        if ticket is None or window is None:
            log.warning(
                "voice of hall %s: call of unknown ticket %s or window %s", self.hall, event.ticket_id, event.window
            )
            return None
        service = self.service.config.service(ticket.service)
        facts = CallFacts(
            ticket.number,
            window.number,
            window.floor,
            service.name if service else "",
            service.name_en if service else "",
        )
        zh_template, en_template = self._templates_for(ticket.service)
        chinese, english = say_call(facts, zh_template), say_call(facts, en_template)
        phrases = [chinese, english] if self.config.english else [chinese]  # English text is shown even unspoken
        zone = self._queue(window.zone)
        busy = len(zone) * 2 >= zone.backlog
        self._seq += 1
        announcement_id = f"{self._boot}-{self._seq}"
        parts = await self._parts_for(phrases, repeat=1 if busy else self.config.repeat)
        wav = None if parts is None else audio.wav_bytes(parts)
        self.composed += 1
        return Announcement(
            id=announcement_id,
            seq=self._seq,
            hall=self.hall,
            zone=window.zone,
            ticket=ticket.number,
            ticket_id=ticket.id,
            window=window.id,
            window_number=window.number,
            text=chinese.text,
            text_en=english.text,
            audio_url=audio_path(self.hall, announcement_id) if wav is not None else None,
            duration_seconds=0.0 if parts is None else sum(map(audio.duration, parts)),
            recall=event.recall,
            at=event.at,
            wav=wav,
        )

    async def _parts_for(self, phrases: list[Phrase], repeat: int) -> list[bytes] | None:
        pack = self.pack
        if pack is None:
            return None
        segments = announcement_segments(
            phrases,
            repeat=repeat,
            chime=self.config.chime,
            repeat_pause_ms=self.config.repeat_pause_ms,
            lang_pause_ms=self.config.english_pause_ms,
        )
        parts = pack.parts(segments)
        if parts is None:  # a word the pack lacks (a warm-up still running): render it now
            await pack.prepare(segments)
            parts = pack.parts(segments)
        return parts

    def _deliver(self, announcement: Announcement) -> None:
        # Kept from its release on, not from its composing: calls piling up in a busy zone
        # must not push out the audio of a call still waiting its turn in another.
        if announcement.wav is not None:
            self._audio[announcement.id] = announcement.wav
            while len(self._audio) > KEEP_AUDIO:
                self._audio.popitem(last=False)
        for sink in list(self._sinks):
            try:
                sink.deliver(announcement)
            except Exception:
                log.exception("voice of hall %s: a sink failed", self.hall)
