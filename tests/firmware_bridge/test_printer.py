"""Tickets: the ESC/POS job python-escpos builds, read back as the paper would show it; printer status."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from firmware_bridge.escpos_reader import MAX_JOB, EscPosReader, PrintedJob, StatusQuery
from firmware_bridge.messages import StatusFlag
from firmware_bridge.printer import PrinterDown, PrinterLink, PrinterPaper, PrinterUp, status_byte
from firmware_bridge.ticket import TicketPrint, ahead_line, render_ticket, wait_line

CST = timezone(timedelta(hours=8))


def ticket(**kw: object) -> TicketPrint:
    values: dict[str, object] = dict(
        hall_name="清远市政务服务中心",
        number="B107",
        service="企业开办",
        people_ahead=3,
        wait_minutes=75,
        issued_at=datetime(2026, 11, 23, 14, 5, tzinfo=CST),
        status_url="https://qms.example.cn/t/qingyuan/20261123-B107",
    )
    return TicketPrint(**{**values, **kw})  # type: ignore[arg-type]


def read(job: bytes) -> PrintedJob:
    (printed,) = EscPosReader().feed(job)
    assert isinstance(printed, PrintedJob)
    return printed


def test_the_ticket_reads_back_as_printed() -> None:
    job = read(render_ticket(ticket()))
    texts = [line.text for line in job.lines if line.text]
    assert texts[0] == "清远市政务服务中心"
    assert "B107" in texts and "企业开办" in texts
    assert "您前面还有 3 人" in texts and "预计等候约 1 小时 15 分钟" in texts
    assert "取号时间 2026-11-23 14:05" in texts
    assert "扫码查看排队进度" in texts
    assert job.qr_codes == ("https://qms.example.cn/t/qingyuan/20261123-B107",)
    number = next(line for line in job.lines if line.text == "B107")
    assert (number.width, number.height, number.align) == (4, 4, "center")
    assert job.cut
    assert "企业开办".encode("gb18030") in job.raw  # GB18030 on the wire, after FS & (Chinese mode)
    assert job.raw.startswith(b"\x1b@\x1c&")


def test_rare_characters_outside_gbk_print_in_gb18030() -> None:
    # 𠀀 (U+20000) and 䶮 are in GB18030 but not GBK: a hall name or a citizen-facing note may have them.
    job = read(render_ticket(ticket(hall_name="𠀀䶮 政务服务中心")))
    assert job.lines[0].text == "𠀀䶮 政务服务中心"


@pytest.mark.parametrize(
    ("ahead", "minutes", "ahead_text", "wait_text"),
    [
        (0, 0, "您是下一位", "预计等候：马上"),
        (1, 5, "您前面还有 1 人", "预计等候约 5 分钟"),
        (40, 120, "您前面还有 40 人", "预计等候约 2 小时"),
        (2, None, "您前面还有 2 人", "预计等候时间：稍后在屏幕查看"),
    ],
)
def test_people_ahead_and_wait_in_words(ahead: int, minutes: int | None, ahead_text: str, wait_text: str) -> None:
    t = ticket(people_ahead=ahead, wait_minutes=minutes)
    assert (ahead_line(t), wait_line(t)) == (ahead_text, wait_text)


@pytest.mark.parametrize(
    "bad",
    [
        dict(issued_at=datetime(2026, 11, 23, 14, 5)),
        dict(number=""),
        dict(people_ahead=-1),
        dict(status_url="https://例子.cn/t"),
    ],
)
def test_a_ticket_that_cannot_be_printed_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ticket(**bad)


def test_the_reader_splits_jobs_answers_status_and_skips_images() -> None:
    reader = EscPosReader()
    raster = b"\x1dv0\x00\x02\x00\x02\x00" + b"\xff" * 4  # a 16x2 dot image
    stream = b"\x1b@first\n" + raster + b"\x10\x04\x01" + b"\x1dV\x00" + b"\x1b@second\n\x1dVA\x03"
    out = []
    for i in range(len(stream)):  # byte by byte: every command split everywhere
        out += reader.feed(stream[i : i + 1])
    query, first, second = out  # the status query is answered at once, mid-job
    assert isinstance(query, StatusQuery) and query.n == 1
    assert isinstance(first, PrintedJob) and isinstance(second, PrintedJob)
    assert (first.text, first.images, second.text) == ("first", 1, "second")
    assert b"\x10\x04" not in first.raw  # real-time queries are not part of the job


def test_a_job_without_a_cut_is_closed_at_the_limit() -> None:
    out = EscPosReader().feed(b"x" * MAX_JOB)
    assert len(out) == 1 and isinstance(out[0], PrintedJob) and not out[0].cut


def test_printer_presence_and_paper_from_status_bytes() -> None:
    link = PrinterLink(now=0.0, poll_interval=1.0, lost_after=3.0)
    link.tick(0.0)
    assert link.data_to_send() == b"\x10\x04\x01\x10\x04\x04"
    events = link.receive(bytes((status_byte(1, StatusFlag.NONE), status_byte(4, StatusFlag.NONE))), 0.1)
    assert events == [PrinterUp()] and link.can_print
    link.tick(1.0)
    out = bytes((status_byte(1, StatusFlag.PAPER_OUT), status_byte(4, StatusFlag.PAPER_OUT)))
    assert link.receive(out, 1.1) == [PrinterPaper(StatusFlag.PAPER_OUT)] and not link.can_print
    link.tick(2.0)
    assert link.receive(b"\xff\x00", 2.1) == []  # noise is not a status
    assert link.tick(4.2) == [PrinterDown()]


def test_a_printer_never_heard_is_down_once() -> None:
    link = PrinterLink(now=0.0)
    assert [e for t in range(10) for e in link.tick(float(t))] == [PrinterDown()]
