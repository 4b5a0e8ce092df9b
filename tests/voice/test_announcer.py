"""The announcer on a real hall (SQLite file, hall actor) with real espeak-ng audio."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qms.core import commands as c
from qms.core.events import TicketCalled
from qms.core.model import CallingConfig, WindowConfig, WindowKind
from qms.service import HallService
from qms.storage import SqliteStore
from qms.voice import audio
from qms.voice.announcer import KEEP_AUDIO, Announcement, Announcer, ZoneQueue
from qms.voice.build import build_announcer
from qms.voice.engine import SpeechEngine
from qms.voice.pack import VoicePack
from qms.voice.settings import VoiceConfig
from tests.factories import any_hour_hall

from .conftest import run, soxi

QUICK = VoiceConfig(repeat=1, chime=False, gap_seconds=0.3, rate=260)


class Collector:
    """A sink that notes each announcement and when it came."""

    def __init__(self) -> None:
        self.got: list[tuple[float, Announcement]] = []
        self.arrived = asyncio.Event()

    def deliver(self, announcement: Announcement) -> None:
        self.got.append((time.monotonic(), announcement))
        self.arrived.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(30):
            while len(self.got) < count:
                self.arrived.clear()
                await self.arrived.wait()


@asynccontextmanager
async def announcing(
    tmp_path: Path, config: VoiceConfig = QUICK, *, voice: bool = True
) -> AsyncIterator[tuple[HallService, Announcer, Collector]]:
    store = SqliteStore(tmp_path / "qms.db")
    await store.open()
    hall = any_hour_hall(calling=CallingConfig(recall_cooldown_seconds=0, auto_recall_seconds=None))
    service = HallService(hall, store)
    await service.start()
    engine = SpeechEngine("pyttsx3", rate=config.rate) if voice else None
    announcer = Announcer(service, config, VoicePack(engine, tmp_path / "cache"))
    sink = Collector()
    announcer.add_sink(sink)
    await announcer.start()
    try:
        await asyncio.wait_for(announcer.ready.wait(), 60)
        yield service, announcer, sink
    finally:
        await announcer.stop()
        await service.stop()
        await store.close()


def test_two_calls_in_a_row_come_out_in_order_whole_and_one_after_the_other(tmp_path: Path) -> None:
    async def go() -> list[tuple[float, Announcement, bytes | None]]:
        async with announcing(tmp_path) as (hall, announcer, sink):
            for w in ("w1", "w2"):
                await hall.submit(c.OpenWindow(w, "staff"))
            for _ in range(2):
                await hall.submit(c.IssueTicket("social"))
            await hall.submit(c.CallNext("w1"))
            await hall.submit(c.CallNext("w2"))
            await sink.wait_for(2)
            return [(t, a, announcer.audio(a.id)) for t, a in sink.got]

    (t1, first, wav1), (t2, second, wav2) = run(go)
    assert (first.ticket, first.window, first.text) == ("A001", "w1", "请A001号到1号窗口办理")
    assert (second.ticket, second.window, second.text) == ("A002", "w2", "请A002号到2号窗口办理")
    assert second.seq == first.seq + 1 and first.zone == second.zone == "main"
    # the second is handed out only once the first has had time to play out, plus the gap
    assert t2 - t1 >= first.duration_seconds + QUICK.gap_seconds - 0.05
    for announcement, wav in ((first, wav1), (second, wav2)):
        assert wav is not None and announcement.audio_url == f"/api/v1/halls/test-hall/voice/{announcement.id}.wav"
        path = tmp_path / f"{announcement.id}.wav"
        path.write_bytes(wav)
        assert float(soxi(path, "-D")) == pytest.approx(announcement.duration_seconds, abs=0.001)
        assert announcement.duration_seconds > 1.0  # the whole sentence, not a fragment


def test_a_recall_is_queued_again_and_said_again(tmp_path: Path) -> None:
    async def go() -> list[Announcement]:
        async with announcing(tmp_path) as (hall, _, sink):
            await hall.submit(c.OpenWindow("w1", "staff"))
            await hall.submit(c.IssueTicket("tax"))
            await hall.submit(c.CallNext("w1"))
            await hall.submit(c.Recall("w1"))
            await sink.wait_for(2)
            return [a for _, a in sink.got]

    first, again = run(go)
    assert (first.ticket, first.recall) == ("B001", False)
    assert (again.ticket, again.recall, again.text) == ("B001", True, first.text)


def test_a_waiting_calls_audio_outlives_many_calls_in_another_zone(tmp_path: Path) -> None:
    """A busy zone's many calls must not push out the audio of a call still waiting in another."""
    config = replace(QUICK, backlog=200)  # nothing dropped: the one waiting upstairs must be heard

    async def go() -> tuple[list[str], list[tuple[Announcement, bytes | None]]]:
        store = SqliteStore(tmp_path / "qms.db")
        await store.open()
        hall = any_hour_hall()
        hall = replace(hall, windows=tuple(replace(w, zone="upstairs") if w.id == "w3" else w for w in hall.windows))
        service = HallService(hall, store)
        await service.start()
        announcer = Announcer(service, config, VoicePack(SpeechEngine("pyttsx3", rate=config.rate), tmp_path / "c"))
        heard: list[tuple[Announcement, bytes | None]] = []
        upstairs = asyncio.Event()

        class Player:
            def deliver(self, announcement: Announcement) -> None:  # fetches the audio when told to play
                heard.append((announcement, announcer.audio(announcement.id)))
                if announcement.zone == "upstairs" and len([a for a, _ in heard if a.zone == "upstairs"]) == 2:
                    upstairs.set()

        announcer.add_sink(Player())
        await announcer.start()
        try:
            await asyncio.wait_for(announcer.ready.wait(), 60)
            for _ in range(2 + KEEP_AUDIO + 8):
                await service.submit(c.IssueTicket("social"))
            ids = [t.id for t in service.hall.tickets()]
            called = lambda ticket, window: TicketCalled(ticket, window, "staff", datetime.now(UTC), 1)  # noqa: E731
            # upstairs: one call plays, the next waits for it; meanwhile the ground floor calls on and on
            await announcer._announce(called(ids[0], "w3"))
            await announcer._announce(called(ids[1], "w3"))
            for ticket in ids[2:]:
                await announcer._announce(called(ticket, "w1"))
            await asyncio.wait_for(upstairs.wait(), 30)
            return ids, heard
        finally:
            await announcer.stop()
            await service.stop()
            await store.close()

    ids, heard = run(go)
    said_upstairs = [(a, wav) for a, wav in heard if a.zone == "upstairs"]
    assert [a.ticket_id for a, _ in said_upstairs] == ids[:2]
    for announcement, wav in said_upstairs:
        assert wav is not None and audio.wav_header(len(wav) - audio.HEADER_BYTES) == wav[: audio.HEADER_BYTES]
        assert announcement.audio_url is not None


def test_a_window_added_in_a_new_zone_is_announced_there(tmp_path: Path) -> None:
    """The admin pages change the layout while the hall runs: a window in a waiting area the
    hall did not have at start-up gets its calls announced in that area, and players find it."""

    async def go() -> tuple[list[str], Announcement]:
        async with announcing(tmp_path, voice=False) as (hall, announcer, sink):
            annex = WindowConfig("w9", 9, WindowKind.GENERAL, zone="annex")
            await hall.submit(c.ChangeLayout(replace(hall.config, windows=(*hall.config.windows, annex)), "windows"))
            await hall.submit(c.OpenWindow("w9", "staff"))
            await hall.submit(c.IssueTicket("social"))
            await hall.submit(c.CallNext("w9"))
            await sink.wait_for(1)
            return announcer.zones, sink.got[0][1]

    zones, announcement = run(go)
    assert "annex" in zones
    assert (announcement.zone, announcement.text) == ("annex", "请A001号到9号窗口办理")


def test_a_call_needing_a_new_word_is_rendered_on_the_spot(tmp_path: Path) -> None:
    template = VoiceConfig(repeat=1, chime=True, gap_seconds=0.1, english=True)

    async def go() -> Announcement:
        async with announcing(tmp_path, template) as (hall, announcer, sink):
            assert announcer.pack is not None and announcer.pack.stats["failed"] == 0
            await hall.submit(c.OpenWindow("tax-1", "staff"))
            await hall.submit(c.IssueTicket("tax"))
            await hall.submit(c.CallNext("tax-1"))
            await sink.wait_for(1)
            return sink.got[0][1]

    announcement = run(go)
    assert announcement.text_en == "Number B001, please go to window 20."
    assert announcement.duration_seconds > 3.0  # chime, Mandarin and English


def test_without_a_speech_engine_calls_are_announced_as_text(tmp_path: Path) -> None:
    async def go() -> list[Announcement]:
        async with announcing(tmp_path, voice=False) as (hall, announcer, sink):
            assert announcer.status()["voice"] is False
            await hall.submit(c.OpenWindow("w3", "staff"))
            await hall.submit(c.IssueTicket("social"))
            await hall.submit(c.CallNext("w3"))
            await sink.wait_for(1)
            return [a for _, a in sink.got]

    [announcement] = run(go)
    assert announcement.text == "请A001号到3号窗口办理" and announcement.audio_url is None


def test_a_hall_without_espeak_says_so_once_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("qms.voice.build.find_backend", lambda: None)
    service = HallService(any_hour_hall(), SqliteStore(tmp_path / "x.db"))
    with caplog.at_level(logging.WARNING, logger="qms.voice"):
        announcer = build_announcer(service, VoiceConfig(), tmp_path / "cache")
    assert announcer.pack is not None and announcer.pack.engine is None
    [record] = [r for r in caplog.records if "no speech engine" in r.getMessage()]
    assert "shown without voice" in record.getMessage()
    off = build_announcer(service, replace(VoiceConfig(), enabled=False), tmp_path / "cache")
    assert off.pack is None


def announcement(n: int, ticket_id: str | None = None, duration: float = 0.0) -> Announcement:
    return Announcement(
        id=f"abcdef-{n}",
        seq=n,
        hall="h",
        zone="main",
        ticket=f"A{n:03d}",
        ticket_id=ticket_id or f"t{n}",
        window="w1",
        window_number=1,
        text=f"请A{n:03d}号到1号窗口办理",
        text_en="",
        audio_url=None,
        duration_seconds=duration,
        recall=False,
        at=datetime(2026, 11, 23, 9, tzinfo=UTC),
    )


def test_a_zones_backlog_is_bounded_drops_the_oldest_and_reports_it(caplog: pytest.LogCaptureFixture) -> None:
    released: list[Announcement] = []
    all_out = asyncio.Event()

    def release(announcement: Announcement) -> None:
        released.append(announcement)
        if len(released) == 3:
            all_out.set()

    queue = ZoneQueue("main", backlog=3, gap_seconds=0.0, release=release)
    # the queue is not running yet: everything put waits
    with caplog.at_level(logging.WARNING):
        for n in range(1, 7):
            queue.put(announcement(n))
        queue.put(announcement(9, ticket_id="t6"))  # the same call still waiting: not queued twice
    assert queue.status() == {"zone": "main", "waiting": 3, "backlog": 3, "played": 0, "dropped": 3, "merged": 1}
    assert sum("backlog of 3 full" in r.getMessage() for r in caplog.records) == 3

    async def drain() -> None:
        task = asyncio.create_task(queue.run())
        await asyncio.wait_for(all_out.wait(), 5)  # at once: no audio, no gap
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    run(drain)
    assert [a.seq for a in released] == [4, 5, 6]
    assert queue.status()["played"] == 3


def test_a_failing_sink_does_not_silence_the_others(tmp_path: Path) -> None:
    class Broken:
        def deliver(self, announcement: Announcement) -> None:
            raise RuntimeError("a broken screen")

    async def go() -> int:
        async with announcing(tmp_path, voice=False) as (hall, announcer, sink):
            announcer._sinks.insert(0, Broken())
            await hall.submit(c.OpenWindow("w1", "staff"))
            await hall.submit(c.IssueTicket("social"))
            await hall.submit(c.CallNext("w1"))
            await sink.wait_for(1)
            return len(sink.got)

    assert run(go) == 1


def test_durations_are_measured_from_the_frames() -> None:
    assert audio.duration(audio.silence(1500)) == pytest.approx(1.5, abs=0.001)


def test_the_mqtt_voice_message_carries_seq_text_and_an_absolute_url() -> None:
    called = replace(announcement(7, duration=3.21), audio_url="/api/v1/halls/h/voice/abcdef-7.wav")
    message = called.voice_message("http://10.0.0.2:8000/")
    assert message["seq"] == 7 and message["text"] == "请A007号到1号窗口办理"
    assert message["audio_url"] == "http://10.0.0.2:8000/api/v1/halls/h/voice/abcdef-7.wav"
    assert announcement(8).voice_message("http://x")["audio_url"] is None


def test_a_hall_with_recordings_speaks_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "chime.wav").write_bytes(audio.wav_bytes(audio.chime()))
    (folder / "manifest.toml").write_text('name = "女声"\n[segments]\nchime = "chime.wav"\n', encoding="utf-8")
    monkeypatch.setattr("qms.voice.build.find_backend", lambda: None)
    service = HallService(any_hour_hall(), SqliteStore(tmp_path / "x.db"))
    announcer = build_announcer(service, VoiceConfig(pack=folder), tmp_path / "cache")
    assert announcer.status()["recorded_pack"] == "女声" and announcer.status()["voice"] is True
