"""Rendering text for a window's LED bar (窗口屏 / 条屏): a pure function, tested on its own.

A bar is measured in half-width columns: a Latin letter or digit takes one column, a Chinese
character (East Asian width W or F) takes two, as on the 16x16-dot modules of real bars
where a 16-column bar holds 8 Chinese characters. Text that fits is centred; longer text
scrolls from right to left one column per step, with a gap of `GAP` columns before it comes
round again. A wide character cut by the bar's edge is shown as a blank column: half a
character is never lit.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GAP = 4  # blank columns between the end of scrolling text and its start coming round
MAINTENANCE = "系统维护中"  # shown while the server is lost (or the broker unreachable)


def columns(char: str) -> int:
    """Columns a character takes on the bar: 2 for full-width (CJK), 0 for combining marks, else 1."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Columns `text` takes on the bar."""
    return sum(columns(c) for c in text)


@dataclass(frozen=True, slots=True)
class Frame:
    """What the bar shows: `text` takes exactly the bar's width in columns. `period` is the
    number of scroll steps before the picture repeats (0: the text fits and stands still)."""

    text: str
    period: int

    @property
    def scrolling(self) -> bool:
        return self.period > 0


def render(text: str, width: int, offset: int = 0) -> Frame:
    """The frame of `text` on a bar `width` columns wide, scrolled by `offset` steps.

    Control characters become blanks. Text that fits is centred (an odd blank column goes to
    the right) and `offset` is ignored; longer text is shown from column `offset` of the
    endless loop `text + GAP blanks`.
    """
    if width < 2:
        raise ValueError("a bar is at least 2 columns wide (one Chinese character)")
    clean = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text.strip())
    used = text_width(clean)
    if used <= width:
        left = (width - used) // 2
        return Frame(" " * left + clean + " " * (width - used - left), 0)
    period = used + GAP
    cells = _cells(clean + " " * GAP)  # (char, columns) with the wide ones as one cell
    start = offset % period
    out: list[str] = []
    col = 0  # column of the loop where the current cell starts
    filled = 0
    index = 0
    # walk the loop (twice at most) from its start until the window [start, start + width) is filled
    while filled < width:
        char, w = cells[index % len(cells)]
        end = col + w
        if end > start:
            visible_from = max(col, start)
            visible_to = min(end, start + width)
            shown = visible_to - visible_from
            if shown == w:
                out.append(char)
            else:
                out.append(" " * shown)  # cut by an edge: blank, never half a character
            filled += shown
        col = end
        index += 1
    return Frame("".join(out), period)


def _cells(text: str) -> list[tuple[str, int]]:
    cells: list[tuple[str, int]] = []
    for char in text:
        w = columns(char)
        if w == 0 and cells:  # a combining mark rides on the character before it
            prev, pw = cells[-1]
            cells[-1] = (prev + char, pw)
        elif w > 0:
            cells.append((char, w))
    return cells
