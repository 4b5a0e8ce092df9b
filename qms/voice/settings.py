"""How a hall's calls are spoken: the `[voice]` section of a hall file, as a value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .phrases import CHIME, DEFAULT_TEMPLATE_EN, DEFAULT_TEMPLATE_ZH, Lang, Phrase, Segment, Template, pause


@dataclass(frozen=True, slots=True)
class ServiceVoice:
    """A service's own wording, e.g. a department upstairs: 请{ticket}号到{floor}楼{window}号窗口办理."""

    service: str
    template: str | None = None
    template_en: str | None = None


@dataclass(frozen=True, slots=True)
class VoiceConfig:
    """Voice calling of one hall. The defaults are what most halls say and do."""

    enabled: bool = True  # false: calls are shown, never spoken
    template: str = DEFAULT_TEMPLATE_ZH
    template_en: str = DEFAULT_TEMPLATE_EN
    english: bool = False  # say each call in English too, after the Mandarin
    repeat: int = 2  # each call is said this many times (once while the backlog is long)
    chime: bool = True  # a ding-dong before each announcement
    rate: int = 150  # speaking rate of the synthetic voice, words per minute
    pack: Path | None = None  # a folder of recorded WAVs with manifest.toml, replacing the synthetic voice
    backlog: int = 20  # announcements that may wait per zone; beyond, the oldest waiting is dropped
    gap_seconds: float = 0.8  # silence between two announcements in a zone
    repeat_pause_ms: int = 700  # silence between the repeats of one call
    english_pause_ms: int = 400  # silence between the Mandarin and the English
    pinyin: tuple[tuple[str, str], ...] = ()  # the hall's own readings: ("朝阳", "chao2 yang2")
    services: tuple[ServiceVoice, ...] = ()

    def templates(self, service: str) -> tuple[Template, Template]:
        """The (Mandarin, English) templates for a call of `service`."""
        zh, en = self.template, self.template_en
        for s in self.services:
            if s.service == service:
                zh, en = s.template or zh, s.template_en or en
        return Template.parse(zh, Lang.ZH), Template.parse(en, Lang.EN)


def announcement_segments(
    phrases: list[Phrase], *, repeat: int, chime: bool, repeat_pause_ms: int, lang_pause_ms: int
) -> list[Segment]:
    """The whole announcement: the chime, then the phrases (Mandarin, then English) `repeat` times."""
    out: list[Segment] = [CHIME] if chime else []
    for r in range(repeat):
        if r:
            out.append(pause(repeat_pause_ms))
        for i, phrase in enumerate(phrases):
            if i:
                out.append(pause(lang_pause_ms))
            out.extend(phrase.segments)
    return out
