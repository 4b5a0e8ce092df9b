"""`qms bench voice`: from a call event to its announcement's audio, with the pack and without.

Real calls of the pure core (1,000 `TicketCalled` events over 50 windows) are composed by
the real `Announcer` against a real speech worker (espeak-ng). "With the voice pack": the
segments were rendered once beforehand, each call is put together from them. "Direct
synthesis": each call's whole sentence is rendered by the speech worker as it comes. The
time is from handing the event to the announcer to its WAV being ready in memory.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from qms.core import commands as c
from qms.core.errors import QmsError
from qms.core.events import TicketCalled
from qms.core.hall import Hall
from qms.service import HallService
from qms.storage.sqlite import SqliteStore
from qms.voice.announcer import Announcer
from qms.voice.engine import SpeechEngine, find_backend
from qms.voice.pack import VoicePack
from qms.voice.phrases import Lang
from qms.voice.settings import VoiceConfig

from .halls import bench_hall
from .report import percentile

AIM_P99_MS = 20.0


def _calls(hall: Hall, count: int) -> list[TicketCalled]:
    """`count` real calls: tickets issued, called at the windows in turn, served and finished."""
    now = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    windows = [w.id for w in hall.config.windows]
    for w in windows:
        hall.handle(c.OpenWindow(w, "bench"), now)
    services = [s.id for s in hall.config.services]
    calls: list[TicketCalled] = []
    i = 0
    while len(calls) < count:
        hall.handle(c.IssueTicket(services[i % len(services)]), now)
        window = windows[i % len(windows)]
        i += 1
        try:
            events = hall.handle(c.CallNext(window), now)
        except QmsError:  # nothing this window may call yet
            continue
        called = [e for e in events if isinstance(e, TicketCalled)]
        if not called:
            continue
        calls += called
        hall.handle(c.StartService(window), now)
        hall.handle(c.FinishService(window), now)
    return calls


def _line(label: str, times_ms: list[float]) -> str:
    p50, p99 = percentile(times_ms, 50), percentile(times_ms, 99)
    aim = f"p99 = {p99 / AIM_P99_MS:.3f} x the aim of {AIM_P99_MS:.0f} ms"
    return f"  {label:<30} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   {aim}"


async def _run(count: int, direct_count: int) -> None:
    backend = find_backend()
    if backend is None:
        print("qms bench voice: no speech engine (apt-get install espeak-ng)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # the store is never opened: the calls are made on the hall directly and the announcer only reads it
        service = HallService(bench_hall(), SqliteStore(Path(tmp) / "qms.sqlite3"))
        calls = _calls(service.hall, count)
        engine = SpeechEngine(backend)
        pack = VoicePack(engine, Path(tmp) / "cache")
        announcer = Announcer(service, VoiceConfig(repeat=1), pack)
        started = time.perf_counter()
        await pack.prepare(announcer.hall_segments())
        print(
            f"qms bench voice: {backend}, {len(announcer.hall_segments())} segments rendered in "
            f"{time.perf_counter() - started:.1f} s (once per hall; cached on disk)"
        )
        packed: list[float] = []
        for event in calls:
            t0 = time.perf_counter()
            announcement = await announcer.compose(event)
            packed.append((time.perf_counter() - t0) * 1000)
            assert announcement is not None and announcement.audio_url is not None
        print(_line(f"voice pack ({len(packed)} calls)", packed))
        direct: list[float] = []
        work = Path(tmp) / "direct.wav"
        for event in calls[:direct_count]:
            t0 = time.perf_counter()
            announcement = await announcer.compose(event)  # the same words and bookkeeping
            assert announcement is not None
            await pack.render_text(pack.reader(announcement.text), Lang.ZH, work)
            direct.append((time.perf_counter() - t0) * 1000)
        print(_line(f"direct synthesis ({len(direct)} calls)", direct))
        await engine.close()


def main(calls: int = 1000, direct: int = 1000) -> None:
    asyncio.run(_run(calls, direct))
