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


def test_the_driver_drops_stale_frames_and_shows_maintenance_without_the_server():
    out = io.StringIO()
    bar = LedBar("h", "w1", 16, out)
    display = topics.window_display("h", "w1")
    bar.set_connected(True)
    _message(bar, topics.server("h"), presence(ServerState.READY))
    _message(bar, display, WindowDisplay(10, "A001", "请 A001 号", DisplayState.CALLING).encode())
    _message(bar, display, WindowDisplay(9, "A000", "请 A000 号", DisplayState.CALLING).encode())  # stale
    _message(bar, display, WindowDisplay(10, "A001", "请 A001 号", DisplayState.CALLING).encode())  # repeated
    _message(bar, display, b"{garbage")  # ignored, logged
    _message(bar, topics.server("h"), presence(ServerState.LOST))
    _message(bar, topics.server("h"), presence(ServerState.READY))
    bar.set_connected(False)
    frames = [json.loads(line)["frame"].strip() for line in out.getvalue().splitlines()]
    # blank while the server is ready but no display came yet
    assert frames == [MAINTENANCE, "", "请 A001 号", MAINTENANCE, "请 A001 号", MAINTENANCE]
