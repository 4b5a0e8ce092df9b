"""What to say for a call: a pure function from a call and a template to words and segments.

A template is text with placeholders, per hall and per service:

    请{ticket}号到{window}号窗口办理            (the default, zh-CN)
    请{ticket}号到{floor}楼{window}号窗口办理    (a hall over several floors)
    Number {ticket}, please go to window {window}.   (English, after the Chinese)

`{ticket}` is spoken letter by letter and digit by digit (A023: A 零 二 三), `{window}` and
`{floor}` as numbers (十二号窗口), `{service}` as the service's name. The words come out twice:
as display text, and as a sequence of `Segment`s, the units of a voice pack (a digit, a
letter, a number, a piece of fixed text), so that an announcement can be put together from
recordings rendered once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PLACEHOLDERS = ("ticket", "window", "floor", "service")
DEFAULT_TEMPLATE_ZH = "请{ticket}号到{window}号窗口办理"
DEFAULT_TEMPLATE_EN = "Number {ticket}, please go to window {window}."

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PUNCTUATION_ONLY = re.compile(r"[\s,.;:!?，。；：！？、]*")

ZH_DIGITS = "零一二三四五六七八九"
EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


class Lang(StrEnum):
    ZH = "zh"  # Mandarin (zh-CN)
    EN = "en"


class SegmentKind(StrEnum):
    TEXT = "text"  # fixed words of a template, or a service's name
    DIGIT = "digit"  # one digit of a ticket number
    LETTER = "letter"  # one letter of a ticket prefix
    NUMBER = "number"  # a window or floor number, read as a number
    CHIME = "chime"  # the ding-dong before an announcement
    PAUSE = "pause"  # silence; `value` is milliseconds


@dataclass(frozen=True, slots=True)
class Segment:
    """One unit of a voice pack. `key` names it in a pack's manifest: `zh:digit:0`,
    `zh:letter:A`, `zh:number:12`, `zh:text:号窗口办理`, `chime`, `pause:600`."""

    kind: SegmentKind
    value: str
    lang: Lang | None = None  # None for the chime and pauses, which are the same in every language

    @property
    def key(self) -> str:
        if self.lang is None:
            return self.kind.value if self.kind is SegmentKind.CHIME else f"{self.kind}:{self.value}"
        return f"{self.lang}:{self.kind}:{self.value}"

    @property
    def spoken(self) -> bool:
        """True for segments a speech engine renders (not the chime or a pause)."""
        return self.lang is not None


CHIME = Segment(SegmentKind.CHIME, "")


def pause(milliseconds: int) -> Segment:
    """A stretch of silence."""
    return Segment(SegmentKind.PAUSE, str(milliseconds))


class TemplateError(ValueError):
    """A template that cannot be spoken: an unknown or malformed placeholder."""


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and placeholder names, in order."""

    source: str
    lang: Lang
    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, literal text or placeholder name)

    @classmethod
    def parse(cls, source: str, lang: Lang) -> Template:
        """Parse `source`; raises TemplateError naming a bad placeholder."""
        parts: list[tuple[bool, str]] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(source):
            if m.start() > pos:
                parts.append((False, source[pos : m.start()]))
            name = m.group(1)
            if name not in PLACEHOLDERS:
                expected = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                raise TemplateError(f"unknown placeholder {{{name}}}; expected {expected}")
            parts.append((True, name))
            pos = m.end()
        rest = source[pos:]
        if "{" in rest or "}" in rest or any("{" in t or "}" in t for is_p, t in parts if not is_p):
            raise TemplateError("a brace without its pair; write placeholders as {ticket}")
        if rest:
            parts.append((False, rest))
        if not any(is_p and name == "ticket" for is_p, name in parts):
            raise TemplateError("the template never says the ticket; expected {ticket} in it")
        return cls(source, lang, tuple(parts))

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(name for is_p, name in self.parts if is_p)


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What a call announcement may mention."""

    ticket: str  # "A023"
    window: int  # the window's number, as on the sign above it
    floor: int | None = None
    service: str = ""  # the service's name (zh)
    service_en: str = ""


@dataclass(frozen=True, slots=True)
class Phrase:
    """The words for one call in one language: display text and the segments to play."""

    lang: Lang
    text: str
    segments: tuple[Segment, ...]


def zh_number(n: int) -> str:
    """A number as Mandarin reads it: 5 五, 10 十, 12 十二, 20 二十, 105 一百零五, 1010 一千零一十."""
    if n < 0 or n > 9999:
        raise ValueError(f"{n} is outside 0-9999")
    if n < 10:
        return ZH_DIGITS[n]
    if n < 20:  # 十二, not 一十二
        return "十" + (ZH_DIGITS[n % 10] if n % 10 else "")
    words = ""
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (n // value) % 10
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words += "零"
            pending_zero = False
        words += ZH_DIGITS[digit] + unit
    return words


def en_number(n: int) -> str:
    """A window or floor number as English digits text; the speech engine reads "12" as twelve."""
    return str(n)


def _ticket_segments(ticket: str, lang: Lang) -> list[Segment]:
    out: list[Segment] = []
    for ch in ticket.upper():
        if ch.isdigit():
            out.append(Segment(SegmentKind.DIGIT, ch, lang))
        elif "A" <= ch <= "Z":
            out.append(Segment(SegmentKind.LETTER, ch, lang))
        # anything else (a dash) is not spoken
    return out


def _ticket_text(ticket: str, lang: Lang) -> str:
    return ticket


def say_call(facts: CallFacts, template: Template) -> Phrase:
    """The words for a call: display text and segments, from `template` in its language."""
    lang = template.lang
    text: list[str] = []
    segments: list[Segment] = []
    for is_placeholder, part in template.parts:
        if not is_placeholder:
            text.append(part)
            if not _PUNCTUATION_ONLY.fullmatch(part):
                segments.append(Segment(SegmentKind.TEXT, part.strip(), lang))
            continue
        if part == "ticket":
            text.append(_ticket_text(facts.ticket, lang))
            segments.extend(_ticket_segments(facts.ticket, lang))
        elif part in ("window", "floor"):
            number = facts.window if part == "window" else facts.floor
            if number is None:
                raise TemplateError(f"the template says {{{part}}} but the window has no {part}")
            text.append(str(number))
            segments.append(Segment(SegmentKind.NUMBER, str(number), lang))
        elif part == "service":
            name = facts.service_en or facts.service if lang is Lang.EN else facts.service
            text.append(name)
            if name:
                segments.append(Segment(SegmentKind.TEXT, name, lang))
    return Phrase(lang, "".join(text).strip(), tuple(segments))


def speech_text(segment: Segment) -> str:
    """The text a speech engine is given for a spoken segment, before any pinyin conversion:
    the digit's word, the letter, the number's words, the fixed text."""
    if segment.kind is SegmentKind.DIGIT:
        d = int(segment.value)
        return ZH_DIGITS[d] if segment.lang is Lang.ZH else EN_DIGITS[d]
    if segment.kind is SegmentKind.NUMBER:
        n = int(segment.value)
        return zh_number(n) if segment.lang is Lang.ZH else en_number(n)
    if segment.kind is SegmentKind.LETTER:
        return segment.value
    if segment.kind is SegmentKind.TEXT:
        return segment.value
    raise ValueError(f"{segment.key} is not spoken")
