"""Chinese text to tone-numbered pinyin for espeak-ng's `cmn-latn-pinyin` voice.

espeak-ng 1.51's `cmn` voice reads Chinese characters through a small dictionary and falls
back to English-spoken pinyin; its `cmn-latn-pinyin` voice reads pinyin with tone numbers
(`yin2 hang2`) as Mandarin, and single capital letters as their Chinese letter names (A 诶,
B 必). So the text is converted first, with pypinyin, which picks a character's reading from
the words around it (银行 yin2 hang2, 行政 xing2 zheng4).

pypinyin does not know every word of a service hall; `HALL_PHRASES` fixes those it gets
wrong, and a hall adds its own in `[voice.pinyin]` (a district such as 朝阳 chao2 yang2).
Digits become Mandarin number words, letters stay capital letters, punctuation becomes a
pause.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pypinyin import Style, lazy_pinyin

from .phrases import zh_number

# Words of the hall's vocabulary that pypinyin's phrase dictionary reads wrongly.
HALL_PHRASES: dict[str, str] = {
    "还款": "huan2 kuan3",
    "还贷": "huan2 dai4",
    "提还": "ti2 huan2",
    "偿还": "chang2 huan2",
    "退还": "tui4 huan2",
    "归还": "gui1 huan2",
}

_PINYIN_SYLLABLE = re.compile(r"[a-zü]+[1-5]")
_PAUSE_MARK = {"，": ",", "、": ",", "；": ",", "：": ",", "。": ".", "！": ".", "？": "."}


def check_reading(reading: str) -> str:
    """`reading` as space-separated tone-numbered syllables (`chao2 yang2`); raises ValueError."""
    syllables = reading.split()
    if not syllables or not all(_PINYIN_SYLLABLE.fullmatch(s) for s in syllables):
        raise ValueError(f'{reading!r} is not tone-numbered pinyin such as "chao2 yang2"')
    return " ".join(syllables)


class PinyinReader:
    """Converts text to pinyin, with the hall's own readings of words taking precedence."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        readings = dict(HALL_PHRASES)
        for word, reading in (overrides or {}).items():
            readings[word] = check_reading(reading)
        for word, reading in readings.items():
            if len(reading.split()) != len(word):
                raise ValueError(
                    f"{word!r}: {reading!r} has {len(reading.split())} syllables for {len(word)} characters"
                )
        # longest first, so that a hall's 朝阳门 wins over a shorter 朝阳
        self._words = sorted(readings, key=len, reverse=True)
        self._readings = readings
        self._pattern = re.compile("|".join(re.escape(w) for w in self._words)) if self._words else None

    def __call__(self, text: str) -> str:
        """`text` as tone-numbered pinyin syllables separated by spaces."""
        out: list[str] = []
        for m in _TOKENS.finditer(text):  # symbols between tokens (※, ～) are not spoken
            if m.lastgroup == "han":
                out.extend(self._han(m.group()))
            elif m.lastgroup == "digits":
                out.extend(self._han(zh_number_or_digits(m.group())))
            elif m.lastgroup == "letter":
                out.append(m.group().upper())
            else:
                mark = m.group().strip()
                if mark and out and out[-1] not in (",", "."):
                    out.append(_PAUSE_MARK.get(mark[0], mark[0] if mark[0] in ",.;:!?" else ","))
        return " ".join(out).replace(" ,", ",").replace(" .", ".").strip(" ,")

    def _han(self, text: str) -> list[str]:
        out: list[str] = []
        pos = 0
        if self._pattern is not None:
            for m in self._pattern.finditer(text):
                out.extend(_pypinyin(text[pos : m.start()]))
                out.extend(self._readings[m.group()].split())
                pos = m.end()
        out.extend(_pypinyin(text[pos:]))
        return out


_TOKENS = re.compile(
    r"(?P<han>[\u3400-\u9fff]+)|(?P<digits>\d+)|(?P<letter>[A-Za-z])|(?P<pause>[,.;:!?，。；：！？、\s]+)"
)


def _pypinyin(text: str) -> list[str]:
    if not text:
        return []
    return [s.replace("ü", "v") for s in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)]


def zh_number_or_digits(digits: str) -> str:
    """Digits in running text: a number up to 9999 read as one (3 楼 三楼), longer ones digit by digit."""
    if len(digits) <= 4 and not (len(digits) > 1 and digits.startswith("0")):
        return zh_number(int(digits))
    return "".join("零一二三四五六七八九"[int(d)] for d in digits)
