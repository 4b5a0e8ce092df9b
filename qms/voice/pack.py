"""The voice pack: every segment rendered once, kept on disk, announcements put together from them.

A call is said from a few dozen segments (digits, letters, window numbers, the template's
fixed words, the chime). They are rendered by the speech worker once, trimmed of silence,
and cached as WAV files named by a hash of what was rendered (backend, voice, rate, text),
so a restart renders nothing and a change of template or rate renders only the new words.
Putting an announcement together is then a concatenation of bytes in memory: milliseconds.

A hall can replace the synthetic voice with recordings: a folder with WAV files and a
`manifest.toml` naming the segment each file says (see `load_recorded`). Recorded segments
win; any segment the recordings lack is still rendered by the speech engine when there is
one.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qms.core.errors import QmsError

from . import audio
from .engine import SpeechEngine, SpeechFailed
from .phrases import Lang, Segment, SegmentKind, speech_text
from .pinyin import PinyinReader
from .worker import VOICES

log = logging.getLogger(__name__)

MANIFEST = "manifest.toml"
SEGMENT_KEY = re.compile(r"chime|(zh|en):(digit:[0-9]|letter:[A-Z]|number:[0-9]{1,4}|text:.+)")


class VoicePackError(QmsError):
    """A recorded voice pack that cannot be used; the message names the folder and the entry."""

    code = "voice_pack_invalid"


@dataclass(frozen=True, slots=True)
class RecordedPack:
    """A hall's recorded segments, converted to the pack's audio format."""

    folder: Path
    name: str
    frames: Mapping[str, bytes] = field(repr=False)


def load_recorded(folder: Path) -> RecordedPack:
    """Load a folder of recorded WAVs and its manifest; raises VoicePackError naming the problem.

    The manifest maps segment keys to files relative to the folder::

        name = "清远女声"
        [segments]
        chime = "chime.wav"
        "zh:digit:0" = "digits/0.wav"       # 零
        "zh:letter:A" = "letters/A.wav"
        "zh:number:12" = "windows/12.wav"   # 十二 (a window number)
        "zh:text:请" = "qing.wav"            # the template's fixed words, as split by the template
        "zh:text:号到" = "hao-dao.wav"
    """
    manifest = folder / MANIFEST
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise VoicePackError(f"{manifest}: cannot read the voice pack's manifest: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise VoicePackError(f"{manifest}: not a TOML file: {exc}") from None
    unknown = set(data) - {"name", "segments"}
    if unknown:
        raise VoicePackError(f"{manifest}: {sorted(unknown)[0]}: unknown key; expected name and [segments]")
    segments = data.get("segments")
    if not isinstance(segments, dict) or not segments:
        raise VoicePackError(
            f'{manifest}: segments: expected a table of segment keys and files, "zh:digit:0" = "0.wav"'
        )
    frames: dict[str, bytes] = {}
    for key, file in segments.items():
        where = f"{manifest}: segments.{key!r}"
        if not SEGMENT_KEY.fullmatch(key):
            raise VoicePackError(
                f'{where}: not a segment key; expected chime or "zh:digit:0", "zh:letter:A", "zh:number:12", '
                '"zh:text:...", or the same with "en:"'
            )
        if not isinstance(file, str) or not file:
            raise VoicePackError(f"{where}: expected the path of a WAV file")
        path = (folder / file).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise VoicePackError(f"{where}: {file!r} is outside the pack's folder")
        try:
            frames[key] = audio.read_wav(path)
        except audio.AudioError as exc:
            raise VoicePackError(f"{where}: {exc}") from None
        if not frames[key]:
            raise VoicePackError(f"{where}: {file!r} holds no audio")
    name = data.get("name", folder.name)
    return RecordedPack(folder, str(name), frames)


class VoicePack:
    """The frames of every segment known so far; renders missing ones through `engine`."""

    def __init__(
        self,
        engine: SpeechEngine | None = None,
        cache_dir: Path | None = None,
        *,
        reader: PinyinReader | None = None,
        recorded: RecordedPack | None = None,
    ) -> None:
        self.engine = engine
        self.cache_dir = cache_dir
        self.reader = reader or PinyinReader()
        self.recorded = recorded
        self._frames: dict[str, bytes] = dict(recorded.frames) if recorded else {}
        if "chime" not in self._frames:  # not setdefault: synthesising the chime takes a good part of 0.1 s
            self._frames["chime"] = audio.chime()
        self.stats = {"rendered": 0, "from_cache": 0, "failed": 0}

    def __contains__(self, segment: Segment) -> bool:
        return segment.kind is SegmentKind.PAUSE or segment.key in self._frames

    def frames(self, segment: Segment) -> bytes:
        """The segment's frames; KeyError if it is not in the pack yet."""
        if segment.kind is SegmentKind.PAUSE:
            return audio.silence(int(segment.value))
        return self._frames[segment.key]

    def missing(self, segments: Iterable[Segment]) -> list[Segment]:
        """The spoken segments not in the pack yet, each once, in order."""
        seen: dict[str, Segment] = {}
        for s in segments:
            if s not in self and s.key not in seen:
                seen[s.key] = s
        return list(seen.values())

    def parts(self, segments: Iterable[Segment]) -> list[bytes] | None:
        """The frames of each of `segments`, or None when one is not in the pack."""
        try:
            return [self.frames(s) for s in segments]
        except KeyError:
            return None

    def assemble(self, segments: Iterable[Segment]) -> bytes | None:
        """The frames of `segments` one after the other, or None when one is not in the pack."""
        parts = self.parts(segments)
        return None if parts is None else b"".join(parts)

    def engine_text(self, segment: Segment) -> str:
        """What the engine is given for a segment: pinyin for Mandarin, the words for English."""
        text = speech_text(segment)
        return self.reader(text) if segment.lang is Lang.ZH else text

    async def prepare(self, segments: Iterable[Segment]) -> list[Segment]:
        """Bring the missing segments into the pack: from the disk cache, or rendered by the
        engine. Returns those that could not be had (no engine, or it failed)."""
        failed: list[Segment] = []
        for segment in self.missing(segments):
            try:
                self._frames[segment.key] = await self._load_or_render(segment)
            except (SpeechFailed, audio.AudioError, OSError) as exc:
                self.stats["failed"] += 1
                log.warning("voice segment %s: %s", segment.key, exc)
                failed.append(segment)
        return failed

    async def render_text(self, text: str, lang: Lang, path: Path) -> bytes:
        """Render any text (pinyin for zh) through the engine into `path`; its frames, trimmed."""
        if self.engine is None:
            raise SpeechFailed("no speech engine is installed")
        await self.engine.render(text, lang, path)
        frames = audio.trim(audio.read_wav(path))
        if not frames:
            raise SpeechFailed(f"the speech engine rendered no audio for {text!r}")
        return frames

    async def _load_or_render(self, segment: Segment) -> bytes:
        if segment.lang is None:
            raise SpeechFailed(f"{segment.key} is not spoken")
        text = self.engine_text(segment)
        if self.engine is None or self.cache_dir is None:
            raise SpeechFailed("no speech engine is installed")
        fingerprint = f"{self.engine.name}|{VOICES[segment.lang.value]}|{self.engine.rate}|{text}"
        path = self.cache_dir / (hashlib.sha256(fingerprint.encode()).hexdigest()[:24] + ".wav")
        if path.exists():
            try:
                frames = audio.read_wav(path)
            except audio.AudioError:
                path.unlink(missing_ok=True)  # a torn file from a crash: render it again
            else:
                if frames:
                    self.stats["from_cache"] += 1
                    return frames
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        raw = path.with_name(path.stem + ".raw.wav")
        try:
            frames = await self.render_text(text, segment.lang, raw)
        finally:
            raw.unlink(missing_ok=True)
        audio.write_wav(path, frames)
        self.stats["rendered"] += 1
        return frames
