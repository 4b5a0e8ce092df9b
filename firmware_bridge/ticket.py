"""The printed ticket (排队小票): an ESC/POS job built with python-escpos, Chinese text in GB18030.

Layout, for the 80 mm paper of hall dispensers (58 mm works too: nothing is wider than 32 columns
except the hall name, which wraps)::

        清远市政务服务中心
    --------------------------------
               A023                  <- 4x size, bold: read from across the hall
          社保 · 养老保险              <- double size
     您前面还有 12 人 预计等候约 25 分钟
       取号时间 2026-11-22 09:31
              [QR]                   <- the ticket's status page
        扫码查看排队进度
     请留意叫号 过号请到服务台
    --------------------------------

The job is built on python-escpos' `Dummy` printer and written to the port as one block, so a
ticket is never interleaved with another. Text goes out GB18030-encoded after FS & (Chinese
character mode), which is what Chinese thermal printers (Xprinter, Gprinter, SPRT, Epson's China
models) expect; python-escpos' own magic encoder would pick code pages for text without ideographs.
The QR code is printed natively (GS ( k): every ESC/POS printer sold for queue systems has it,
and it is sharper and a tenth of the bytes of a raster image.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from escpos.printer import Dummy

TEXT_ENCODING = "gb18030"
CHINESE_MODE = b"\x1c\x26"  # FS &: double-byte characters on
PAPER_COLUMNS = 32  # half-width columns of 58 mm paper; 80 mm has 48, so this fits both
NUMBER_SIZE = 4  # the ticket number at 4x width and height
QR_MODULE_DOTS = 6  # about 20 mm for a short URL: phones read it at arm's length


@dataclass(frozen=True, slots=True)
class TicketPrint:
    """What goes on a ticket."""

    hall_name: str  # 清远市政务服务中心
    number: str  # A023
    service: str  # 社保 · 养老保险
    people_ahead: int
    wait_minutes: int | None  # None: no estimate yet (first ticket of the day, no window open)
    issued_at: datetime  # local time of the hall, timezone-aware
    status_url: str  # the ticket's status page, for the QR code
    note: str = "请留意叫号，过号请到服务台"

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        if not self.number or len(self.number) > 12:
            raise ValueError(f"ticket number {self.number!r} is empty or too long")
        if self.people_ahead < 0 or (self.wait_minutes is not None and self.wait_minutes < 0):
            raise ValueError("people ahead and wait cannot be negative")
        if not self.status_url.isascii() or not self.status_url:
            raise ValueError("status URL must be ASCII (percent-encode it)")


def ahead_line(ticket: TicketPrint) -> str:
    """'您前面还有 12 人' or, for the first in line, '您是下一位'."""
    return "您是下一位" if ticket.people_ahead == 0 else f"您前面还有 {ticket.people_ahead} 人"


def wait_line(ticket: TicketPrint) -> str:
    """The estimated wait in words a citizen reads at a glance."""
    minutes = ticket.wait_minutes
    if minutes is None:
        return "预计等候时间：稍后在屏幕查看"
    if minutes < 1:
        return "预计等候：马上"
    if minutes < 60:
        return f"预计等候约 {minutes} 分钟"
    hours, rest = divmod(minutes, 60)
    return f"预计等候约 {hours} 小时 {rest} 分钟" if rest else f"预计等候约 {hours} 小时"


def render_ticket(ticket: TicketPrint) -> bytes:
    """The whole ESC/POS job for one ticket, ending in a cut."""
    p = Dummy()
    p.hw("INIT")
    p._raw(CHINESE_MODE)
    rule = "-" * PAPER_COLUMNS + "\n"

    p.set(align="center", bold=True, double_height=True)
    _text(p, ticket.hall_name + "\n")
    p.set(normal_textsize=True, bold=False, align="center")
    _text(p, rule)

    p.set(align="center", bold=True, custom_size=True, width=NUMBER_SIZE, height=NUMBER_SIZE)
    _text(p, ticket.number + "\n")
    p.set(normal_textsize=True, bold=True, align="center", double_width=True, double_height=True)
    _text(p, ticket.service + "\n")
    p.set(normal_textsize=True, bold=False, align="center")
    p.ln()
    _text(p, ahead_line(ticket) + "\n")
    _text(p, wait_line(ticket) + "\n")
    _text(p, "取号时间 " + ticket.issued_at.strftime("%Y-%m-%d %H:%M") + "\n")

    p.qr(ticket.status_url, size=QR_MODULE_DOTS, native=True)
    _text(p, "\n扫码查看排队进度\n")
    if ticket.note:
        _text(p, ticket.note + "\n")
    _text(p, rule)
    p.cut()
    return bytes(p.output)


def _text(p: Dummy, text: str) -> None:
    p._raw(text.encode(TEXT_ENCODING))
