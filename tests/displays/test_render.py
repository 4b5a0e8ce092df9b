"""The LED bar's rendering: a pure function of text, width and scroll offset."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from displays.ledbar import LedBar
from displays.render import GAP, MAINTENANCE, columns, render, text_width
from qms.contract import DisplayState, ServerState, WindowDisplay, presence, topics


def test_chinese_characters_take_two_columns():
    assert columns("请") == 2 and columns("A") == 1 and columns(" ") == 1 and columns("，") == 2
    assert text_width("请 A023 号") == 10
    assert text_width(MAINTENANCE) == 10


def test_text_that_fits_is_centred_and_stands_still():
    frame = render("请 A023 号", 16, offset=7)
    assert frame.text == "   请 A023 号   " and not frame.scrolling
    assert render("暂停服务", 8).text == "暂停服务"  # exactly full
    assert render("A1", 5).text == " A1  "  # the odd column goes right


def test_long_text_scrolls_one_column_per_step_and_comes_round():
    text = "暂停服务 午休时间请到其他窗口办理"
    first = render(text, 16, 0)
    assert first.scrolling and first.period == text_width(text) + GAP
    assert first.text == "暂停服务 午休时 "  # 时 ends at column 16; the next wide char would be cut
    assert render(text, 16, 1).text == " 停服务 午休时间"  # 暂 cut at the left edge: a blank
    assert render(text, 16, first.period).text == first.text  # one full turn later
    # at the end, the gap and then the start come round
    tail = render(text, 16, text_width(text) - 4)
    assert tail.text == "办理    暂停服务"


@given(
    st.text(alphabet=st.sampled_from("请号窗口A0123 -，办理暂停abc"), max_size=40),
    st.integers(4, 40),
    st.integers(0, 500),
)
def test_every_frame_is_exactly_the_bar_wide(text, width, offset):
    frame = render(text, width, offset)
    assert text_width(frame.text) == width


def test_control_characters_are_blanks():
    assert "\n" not in render("请\nA1", 10).text


def _message(bar: LedBar, topic: str, payload: bytes) -> None:
    bar.on_message(topic, payload)


def _ready_bar(window: str) -> tuple[LedBar, io.StringIO, str]:
    """A bar connected to a ready server: the bar, what it wrote, its display topic."""
    out = io.StringIO()
    bar = LedBar("h", window, 16, out)
    bar.set_connected(True)
    _message(bar, topics.server("h"), presence(ServerState.READY))
    return bar, out, topics.window_display("h", window)


def _frames(out: io.StringIO) -> list[str]:
    return [json.loads(line)["frame"].strip() for line in out.getvalue().splitlines()]


def test_the_driver_drops_stale_frames_and_shows_maintenance_without_the_server():
    bar, out, display = _ready_bar("w1")
    _message(bar, display, WindowDisplay(10, "A001", "请 A001 号", DisplayState.CALLING).encode())
    _message(bar, display, WindowDisplay(9, "A000", "请 A000 号", DisplayState.CALLING).encode())  # stale
    _message(bar, display, WindowDisplay(10, "A001", "请 A001 号", DisplayState.CALLING).encode())  # repeated
    _message(bar, display, b"{garbage")  # ignored, logged
    _message(bar, topics.server("h"), presence(ServerState.LOST))
    _message(bar, topics.server("h"), presence(ServerState.READY))
    bar.set_connected(False)
    # blank while the server is ready but no display came yet
    assert _frames(out) == [MAINTENANCE, "", "请 A001 号", MAINTENANCE, "请 A001 号", MAINTENANCE]


def test_a_cleared_display_blanks_the_bar():
    """The server clears the retained display of a window removed from the hall."""
    bar, out, display = _ready_bar("w9")
    _message(bar, display, WindowDisplay(10, None, "9号窗口 欢迎您", DisplayState.IDLE).encode())
    _message(bar, display, b"")
    assert _frames(out) == [MAINTENANCE, "", "9号窗口 欢迎您", ""]
