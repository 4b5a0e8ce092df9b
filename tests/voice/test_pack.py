"""The voice pack against real espeak-ng: segments rendered, cached, put together; recorded packs."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from qms.voice import audio
from qms.voice.engine import SpeechEngine, SpeechFailed
from qms.voice.pack import VoicePack, VoicePackError, load_recorded
from qms.voice.phrases import (
    DEFAULT_TEMPLATE_EN,
    DEFAULT_TEMPLATE_ZH,
    CallFacts,
    Lang,
    Segment,
    SegmentKind,
    Template,
    say_call,
)
from qms.voice.settings import announcement_segments

from .conftest import run, soxi

ZH = Template.parse(DEFAULT_TEMPLATE_ZH, Lang.ZH)
EN = Template.parse(DEFAULT_TEMPLATE_EN, Lang.EN)


def hall_segments() -> list[Segment]:
    out: list[Segment] = []
    for lang in (Lang.ZH, Lang.EN):
        out += [Segment(SegmentKind.DIGIT, str(d), lang) for d in range(10)]
        out += [Segment(SegmentKind.LETTER, ch, lang) for ch in "ABCDXZ"]
        out += [Segment(SegmentKind.NUMBER, str(n), lang) for n in (1, 9, 10, 12, 20, 55, 101)]
        template = ZH if lang is Lang.ZH else EN
        out += [s for s in say_call(CallFacts("A1", 1), template).segments if s.kind is SegmentKind.TEXT]
    return out


@pytest.mark.parametrize("backend", ["pyttsx3", "espeak-ng"])
def test_every_segment_is_real_non_empty_audio_of_one_format(tmp_path: Path, backend: str) -> None:
    async def go() -> VoicePack:
        engine = SpeechEngine(backend)
        try:
            pack = VoicePack(engine, tmp_path / "cache")
            assert await pack.prepare(hall_segments()) == []
            return pack
        finally:
            await engine.close()

    pack = run(go)
    files = sorted((tmp_path / "cache").glob("*.wav"))
    # one file per distinct text: the digit 9 and the window number 9 both say jiu3
    assert len(files) == len({pack.engine_text(s) + str(s.lang) for s in hall_segments()}) < len(hall_segments())
    for f in files:
        assert (soxi(f, "-r"), soxi(f, "-c"), soxi(f, "-b")) == ("22050", "1", "16")
        assert 0.1 < float(soxi(f, "-D")) < 4.0, f  # a spoken word, not silence or a runaway
    for segment in hall_segments():
        assert len(pack.frames(segment)) > audio.frames_for(100) * audio.WIDTH, segment.key
    # a digit is shorter than the template's longest words
    assert len(pack.frames(Segment(SegmentKind.DIGIT, "3", Lang.ZH))) < len(
        pack.frames(Segment(SegmentKind.TEXT, "号窗口办理", Lang.ZH))
    )


def test_an_announcement_is_as_long_as_its_segments(tmp_path: Path) -> None:
    facts = CallFacts("B105", 12)
    phrases = [say_call(facts, ZH), say_call(facts, EN)]
    segments = announcement_segments(phrases, repeat=2, chime=True, repeat_pause_ms=700, lang_pause_ms=400)

    async def go() -> bytes | None:
        engine = SpeechEngine("pyttsx3")
        try:
            pack = VoicePack(engine, tmp_path / "cache")
            assert await pack.prepare(segments) == []
            parts = [pack.frames(s) for s in segments]
            assert all(parts)
            frames = pack.assemble(segments)
            assert frames is not None and len(frames) == sum(len(p) for p in parts)
            return frames
        finally:
            await engine.close()

    frames = run(go)
    assert frames is not None
    out = tmp_path / "call.wav"
    out.write_bytes(audio.wav_bytes(frames))
    assert int(soxi(out, "-s")) == len(frames) // audio.WIDTH
    assert float(soxi(out, "-D")) == pytest.approx(audio.duration(frames), abs=0.001)


def test_the_cache_makes_a_restart_render_nothing(tmp_path: Path) -> None:
    segments = hall_segments()[:12]

    async def go() -> tuple[dict[str, int], dict[str, int]]:
        engine = SpeechEngine("pyttsx3")
        try:
            first = VoicePack(engine, tmp_path / "cache")
            await first.prepare(segments)
            again = VoicePack(engine, tmp_path / "cache")
            await again.prepare(segments)
            assert again.assemble(segments) == first.assemble(segments)
            return first.stats, again.stats
        finally:
            await engine.close()

    first, again = run(go)
    assert first["rendered"] == 12 and again == {"rendered": 0, "from_cache": 12, "failed": 0}


def test_a_pack_without_an_engine_says_what_it_lacks(tmp_path: Path) -> None:
    pack = VoicePack(None, tmp_path)
    segments = hall_segments()[:3]
    assert run(lambda: pack.prepare(segments)) == segments
    assert pack.assemble(segments) is None
    assert pack.assemble([Segment(SegmentKind.CHIME, "")]) == audio.chime()


def test_a_killed_worker_is_started_again(tmp_path: Path) -> None:
    async def go() -> None:
        engine = SpeechEngine("pyttsx3", restart_delay=0.1)
        try:
            await engine.render("yi1", Lang.ZH, tmp_path / "one.wav")
            pid = engine.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            await engine.render("er4", Lang.ZH, tmp_path / "two.wav")
            assert engine.starts == 2 and engine.pid not in (None, pid)
        finally:
            await engine.close()

    run(go)
    assert int(soxi(tmp_path / "two.wav", "-s")) > 1000


def test_a_worker_that_cannot_start_fails_clearly(tmp_path: Path) -> None:
    async def go() -> None:
        engine = SpeechEngine("no-such-backend")
        with pytest.raises(SpeechFailed, match="did not start"):
            await engine.render("yi1", Lang.ZH, tmp_path / "x.wav")
        await engine.close()

    run(go)


def sox_tone(path: Path, rate: int, channels: int, seconds: float, bits: int = 16) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            str(rate),
            "-c",
            str(channels),
            "-b",
            str(bits),
            str(path),
            "synth",
            str(seconds),
            "sine",
            "440",
        ],
        check=True,
    )


def test_a_recorded_pack_replaces_the_synthetic_voice(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    sox_tone(folder / "qing.wav", 16000, 2, 0.5)  # another rate, stereo: converted on loading
    sox_tone(folder / "digits" / "0.wav", 22050, 1, 0.25)
    (folder / "manifest.toml").write_text(
        'name = "清远女声"\n[segments]\n"zh:text:请" = "qing.wav"\n"zh:digit:0" = "digits/0.wav"\n', encoding="utf-8"
    )
    recorded = load_recorded(folder)
    assert recorded.name == "清远女声"
    assert len(recorded.frames["zh:text:请"]) == pytest.approx(0.5 * audio.RATE * audio.WIDTH, rel=0.01)

    async def go() -> VoicePack:
        engine = SpeechEngine("pyttsx3")
        try:
            pack = VoicePack(engine, tmp_path / "cache", recorded=recorded)
            segments = list(say_call(CallFacts("A0", 3), ZH).segments)
            assert await pack.prepare(segments) == []
            return pack
        finally:
            await engine.close()

    pack = run(go)
    assert pack.frames(Segment(SegmentKind.DIGIT, "0", Lang.ZH)) == recorded.frames["zh:digit:0"]
    assert pack.stats["rendered"] == 4  # 请 and 0 were recorded: only A, 号到, 3 and 号窗口办理 are rendered


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (None, "cannot read the voice pack's manifest"),
        ("[segments\n", "not a TOML file"),
        ('voice = "x"\n[segments]\n"zh:digit:0" = "a.wav"\n', "voice: unknown key"),
        ("[segments]\n", "expected a table of segment keys"),
        ('[segments]\n"zh:digit:10" = "a.wav"\n', "not a segment key"),
        ('[segments]\n"zh:digit:1" = "missing.wav"\n', "not a readable PCM WAV"),
        ('[segments]\n"zh:digit:1" = "../outside.wav"\n', "outside the pack's folder"),
        ('[segments]\n"zh:digit:1" = "deep.wav"\n', "expected 16-bit PCM"),
    ],
)
def test_a_broken_recorded_pack_is_refused_with_its_file_and_entry(
    tmp_path: Path, manifest: str | None, message: str
) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    sox_tone(tmp_path / "outside.wav", 22050, 1, 0.1)
    sox_tone(folder / "deep.wav", 22050, 1, 0.1, bits=24)
    if manifest is not None:
        (folder / "manifest.toml").write_text(manifest, encoding="utf-8")
    with pytest.raises(VoicePackError, match=message) as err:
        load_recorded(folder)
    assert str(folder / "manifest.toml") in err.value.message
