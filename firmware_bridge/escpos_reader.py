"""Reading ESC/POS back: what a thermal printer would print, as values and as text for people. No I/O.

The printer emulator runs received bytes through `EscPosReader`: it splits the stream into jobs
at each cut, keeps the lines with their size, weight and alignment, decodes text as GB18030 (the
printer is in Chinese mode), collects native QR codes (GS ( k), and reports real-time status
queries (DLE EOT n) so that the emulator can answer them as a printer does. It understands the
commands python-escpos emits and skips the parameters of the other common ones; it never raises
on input, and a job that never ends in a cut is closed at `MAX_JOB` bytes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A
_TEXT = re.compile(rb"[\x20-\xff]+")  # GB18030 bytes are all >= 0x20: text runs until a control byte
MAX_JOB = 1 << 20
COLUMNS = 48  # 80 mm paper, font A

# ESC x: number of parameter bytes after x, for commands that only set a mode.
_ESC_PARAMS = {
    ord("@"): 0, ord("2"): 0, ord("a"): 1, ord("E"): 1, ord("!"): 1, ord("d"): 1, ord("t"): 1,
    ord("-"): 1, ord("M"): 1, ord("G"): 1, ord("{"): 1, ord("V"): 1, ord("3"): 1, ord("J"): 1,
    ord("R"): 1, ord("r"): 1, ord("c"): 2, ord("p"): 3, ord(" "): 1, ord("$"): 2, ord("\\"): 2,
}  # fmt: skip
_GS_PARAMS = {
    ord("!"): 1, ord("B"): 1, ord("b"): 1, ord("H"): 1, ord("h"): 1, ord("w"): 1, ord("f"): 1,
    ord("L"): 2, ord("W"): 2, ord("r"): 1, ord("a"): 1, ord("I"): 1,
}  # fmt: skip
_FS_PARAMS = {ord("&"): 0, ord("."): 0, ord("C"): 1, ord("!"): 1, ord("-"): 1, ord("W"): 1}


@dataclass(frozen=True, slots=True)
class PrintedLine:
    """One printed line: its text and the style its first character was printed in."""

    text: str
    width: int = 1  # character width multiplier (1..8)
    height: int = 1
    bold: bool = False
    align: str = "left"  # left, center, right
    qr: str = ""  # for a QR code printed here: its content (the line's text is then empty)


@dataclass(frozen=True, slots=True)
class PrintedJob:
    """Everything between two cuts."""

    lines: tuple[PrintedLine, ...]
    qr_codes: tuple[str, ...]
    images: int  # raster images (a QR code rendered as a picture shows up here)
    cut: bool  # False when the job was closed for its size, not by a cut
    raw: bytes

    @property
    def text(self) -> str:
        """All printed text, one line per line, without styles."""
        return "\n".join(line.text for line in self.lines)

    def render(self, columns: int = COLUMNS) -> str:
        """The job as a person would see the paper, in plain text (wide characters count double)."""
        out = []
        for line in self.lines:
            text = f"[QR: {line.qr}]" if line.qr else line.text
            if line.width > 1 or line.height > 1:
                text = f"{text}  [{line.width}x{line.height}{' bold' if line.bold else ''}]"
            pad = max(columns - _display_width(text), 0)
            if line.align == "center":
                text = " " * (pad // 2) + text
            elif line.align == "right":
                text = " " * pad + text
            out.append(text.rstrip())
        out.append("✂ -------- cut --------" if self.cut else "(no cut)")
        return "\n".join(out) + "\n"


@dataclass(frozen=True, slots=True)
class StatusQuery:
    """DLE EOT n: the host asks for real-time status n (1 printer, 2 offline, 3 error, 4 paper)."""

    n: int


@dataclass(slots=True)
class _Style:
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"


@dataclass(slots=True)
class EscPosReader:
    """Splits an ESC/POS byte stream into jobs and status queries."""

    _buffer: bytearray = field(default_factory=bytearray)
    _job: bytearray = field(default_factory=bytearray)
    _style: _Style = field(default_factory=_Style)
    _line: bytearray = field(default_factory=bytearray)
    _line_style: _Style | None = None
    _lines: list[PrintedLine] = field(default_factory=list)
    _qr_data: bytes = b""
    _qr_codes: list[str] = field(default_factory=list)
    _images: int = 0
    _cut: bool = False

    def feed(self, data: bytes) -> list[PrintedJob | StatusQuery]:
        """Bytes from the host; returns finished jobs and status queries, in order."""
        self._buffer += data
        b = bytes(self._buffer)
        p = 0
        out: list[PrintedJob | StatusQuery] = []
        while p < len(b):
            used = self._step(b, p, out)
            if used == 0:
                break  # an incomplete command: wait for more bytes
            if b[p] != DLE:  # real-time commands are not part of a job
                self._job += b[p : p + used]
            p += used
            if self._cut:
                out.append(self._finish(cut=True))
            elif len(self._job) >= MAX_JOB:
                out.append(self._finish(cut=False))
        del self._buffer[:p]
        return out

    def _step(self, b: bytes, p: int, out: list[PrintedJob | StatusQuery]) -> int:
        c = b[p]
        if c == LF:
            self._end_line()
            return 1
        if c in (ESC, GS, FS, DLE):
            return self._command(b, p, out)
        if c >= 0x20:
            run = _TEXT.match(b, p)
            assert run is not None
            if self._line_style is None:
                self._line_style = _Style(self._style.width, self._style.height, self._style.bold, self._style.align)
            size = min(run.end() - p, MAX_JOB - len(self._job))
            self._line += b[p : p + size]
            return max(size, 1)
        return 1  # other control bytes (CR, HT) change nothing we show

    def _command(self, b: bytes, p: int, out: list[PrintedJob | StatusQuery]) -> int:
        have = len(b) - p
        if have < 2:
            return 0
        c, x = b[p], b[p + 1]
        if c == DLE:
            if have < 3:
                return 0
            if x == 0x04:
                out.append(StatusQuery(b[p + 2]))
            return 3
        if c == GS and x == ord("V"):
            if have < 3:
                return 0
            need = 4 if b[p + 2] in (65, 66) else 3
            if have < need:
                return 0
            self._end_line()
            self._cut = True
            return need
        if c == GS and x == ord("("):
            return self._gs_paren(b, p)
        if c == GS and x == ord("v"):
            if have < 8:
                return 0
            size = 8 + (b[p + 4] | b[p + 5] << 8) * (b[p + 6] | b[p + 7] << 8)
            if have < size:
                return 0
            self._images += 1
            return size
        if c == ESC and x == ord("*"):
            if have < 5:
                return 0
            dots = b[p + 3] | b[p + 4] << 8
            size = 5 + dots * (3 if b[p + 2] in (32, 33) else 1)
            return size if have >= size else 0
        table = {ESC: _ESC_PARAMS, GS: _GS_PARAMS, FS: _FS_PARAMS}[c]
        size = 2 + table.get(x, 0)
        if have < size:
            return 0
        self._apply(c, x, b[p + 2 : p + size])
        return size

    def _gs_paren(self, b: bytes, p: int) -> int:
        have = len(b) - p
        if have < 5:
            return 0
        size = 5 + (b[p + 3] | b[p + 4] << 8)
        if have < size:
            return 0
        if b[p + 2] == ord("k") and size >= 7 and b[p + 5] == ord("1"):  # cn 49: QR code
            fn = b[p + 6]
            if fn == ord("P") and size >= 8:
                self._qr_data = b[p + 8 : p + size]  # after the m byte
            elif fn == ord("Q"):
                if self._line:
                    self._end_line()
                code = self._qr_data.decode("utf-8", errors="replace")
                self._qr_codes.append(code)
                self._lines.append(PrintedLine("", align=self._style.align, qr=code))
        return size

    def _apply(self, c: int, x: int, params: bytes | bytearray) -> None:
        s = self._style
        if c == ESC and x == ord("@"):
            self._end_line()
            self._style = _Style()
        elif c == ESC and x == ord("a"):
            s.align = {0: "left", 1: "center", 2: "right"}.get(params[0] % 48, "left")
        elif c == ESC and x == ord("E"):
            s.bold = bool(params[0] & 1)
        elif c == ESC and x == ord("!"):
            s.bold = bool(params[0] & 0x08)
            s.height = 2 if params[0] & 0x10 else 1
            s.width = 2 if params[0] & 0x20 else 1
        elif c == GS and x == ord("!"):
            s.width = (params[0] >> 4 & 0x07) + 1
            s.height = (params[0] & 0x07) + 1
        elif c == ESC and x == ord("d"):
            self._end_line()
            self._lines += [PrintedLine("")] * params[0]

    def _end_line(self) -> None:
        if self._line_style is None and not self._line:
            if self._lines or self._job:
                self._lines.append(PrintedLine(""))
            return
        style = self._line_style or self._style
        text = self._line.decode("gb18030", errors="replace")
        self._lines.append(PrintedLine(text, style.width, style.height, style.bold, style.align))
        self._line.clear()
        self._line_style = None

    def _finish(self, *, cut: bool) -> PrintedJob:
        if self._line:
            self._end_line()
        while self._lines and not self._lines[-1].text and not self._lines[-1].qr:
            self._lines.pop()
        job = PrintedJob(tuple(self._lines), tuple(self._qr_codes), self._images, cut, bytes(self._job))
        self._job.clear()
        self._lines = []
        self._qr_codes = []
        self._qr_data = b""
        self._images = 0
        self._cut = False
        return job


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
