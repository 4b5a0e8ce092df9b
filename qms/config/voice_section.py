"""Reader for the optional `[voice]` section of a hall file (see `examples/qingyuan.toml`).

    [voice]
    template = "请{ticket}号到{window}号窗口办理"
    english = true
    repeat = 2
    pack = "voice-pack"                 # recorded WAVs with manifest.toml, relative to the hall file
    [voice.pinyin]
    "朝阳" = "chao2 yang2"
    [voice.services.housing-fund]
    template = "请{ticket}号到{floor}楼{window}号窗口办理"

Templates are checked here, with the windows that will say them: `{floor}` in a template
needs a `floor` on every window that can call that service.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..core.model import ServiceConfig, WindowConfig, serves
from ..voice.phrases import Lang, Template, TemplateError
from ..voice.pinyin import check_reading
from ..voice.settings import ServiceVoice, VoiceConfig
from .reader import BOOL, TEXT, Kind, Misfit, Table, integer, number

VOICE_KEYS = (
    "enabled",
    "template",
    "template_en",
    "english",
    "repeat",
    "chime",
    "rate",
    "pack",
    "backlog",
    "gap_seconds",
    "pinyin",
    "services",
)


def _template_kind(lang: Lang) -> Kind[str]:
    def read(value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Misfit
        return value

    example = (
        '"请{ticket}号到{window}号窗口办理"' if lang is Lang.ZH else '"Number {ticket}, please go to window {window}."'
    )
    return Kind(f"a template such as {example}", read)


def _template(t: Table, name: str, lang: Lang, windows: Sequence[WindowConfig]) -> str | None:
    """The template under `name` if there is one, checked against the windows that will say it."""
    if not t.has(name):
        return None
    text = t.get(name, _template_kind(lang))
    try:
        template = Template.parse(text, lang)
    except TemplateError as exc:
        raise t.error(f"{exc}", name) from None
    if "floor" in template.placeholders:
        for w in windows:
            if w.floor is None:
                raise t.error(
                    f"says {{floor}}, but window {json.dumps(w.id)} has no floor; expected floor = N on it", name
                )
    return text


def parse_voice(
    t: Table, services: tuple[ServiceConfig, ...], windows: tuple[WindowConfig, ...], base: Path
) -> VoiceConfig:
    """[voice]: how calls are spoken; an absent section gives the defaults."""
    t.only(*VOICE_KEYS)
    default = VoiceConfig()
    pack: Path | None = None
    if t.has("pack"):
        pack = base / t.get("pack", TEXT)
        if not (pack / "manifest.toml").is_file():
            raise t.error(
                f"{pack}/manifest.toml does not exist; expected a folder of WAV files with manifest.toml", "pack"
            )
    pinyin: list[tuple[str, str]] = []
    if t.has("pinyin"):
        readings = t.table("pinyin")
        for word in readings.data:
            reading = readings.get(word, TEXT)
            try:
                pinyin.append((word, check_reading(reading)))
            except ValueError:
                raise readings.error(
                    f'got {json.dumps(reading, ensure_ascii=False)}; expected pinyin with tones such as "chao2 yang2"',
                    word,
                ) from None
            if len(reading.split()) != len(word):
                raise readings.error(f"{len(reading.split())} syllables for the {len(word)} characters of {word}", word)
    per_service: list[ServiceVoice] = []
    known = {s.id: s for s in services}
    if t.has("services"):
        table = t.table("services")
        for sid in table.data:
            if sid not in known:
                raise table.error(
                    f"unknown service {json.dumps(sid)}; expected the id of one of the hall's [[services]]", sid
                )
            entry = table.table(sid).with_context(f"service {json.dumps(sid)}")
            entry.only("template", "template_en")
            callers = [w for w in windows if sid in serves(w, services)]
            per_service.append(
                ServiceVoice(
                    sid,
                    _template(entry, "template", Lang.ZH, callers),
                    _template(entry, "template_en", Lang.EN, callers),
                )
            )
    return VoiceConfig(
        enabled=t.get("enabled", BOOL, default.enabled),
        template=_template(t, "template", Lang.ZH, windows) or default.template,
        template_en=_template(t, "template_en", Lang.EN, windows) or default.template_en,
        english=t.get("english", BOOL, default.english),
        repeat=t.get("repeat", integer(1, 5), default.repeat),
        chime=t.get("chime", BOOL, default.chime),
        rate=t.get("rate", integer(80, 400), default.rate),
        pack=pack,
        backlog=t.get("backlog", integer(1, 1000), default.backlog),
        gap_seconds=t.get("gap_seconds", number(), default.gap_seconds),
        pinyin=tuple(pinyin),
        services=tuple(per_service),
    )
