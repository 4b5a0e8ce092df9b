"""What the LED bars and screens show, computed from the hall (no broker needed)."""

from __future__ import annotations

import itertools

from qms.contract import DisplayState
from qms.core import commands as c
from qms.core.hall import Hall
from qms.mqtt.gateway import SeqClock
from qms.mqtt.views import RECENT_CALLS, recent_by_zone, window_view, zone_lines
from tests.factories import at, small_hall


def test_a_window_bar_says_what_the_window_does() -> None:
    config = small_hall()
    hall = Hall(config)
    w1 = config.windows[0]
    assert window_view(hall, w1).text == "暂停服务" and window_view(hall, w1).state is DisplayState.CLOSED
    hall.handle(c.OpenWindow("w1", "zhang.san"), at(9))
    assert window_view(hall, w1).text == "1号窗口 欢迎您"
    hall.handle(c.IssueTicket("social"), at(9, 5))
    hall.handle(c.CallNext("w1"), at(9, 6))
    view = window_view(hall, w1)
    assert (view.ticket, view.text, view.state, view.calls) == ("A001", "请 A001 号", DisplayState.CALLING, 1)
    hall.handle(c.Recall("w1"), at(9, 6, 20))
    assert window_view(hall, w1).calls == 2  # same text, a new frame: the bar flashes it again
    hall.handle(c.StartService("w1"), at(9, 8))
    assert window_view(hall, w1).text == "正在办理 A001"
    hall.handle(c.FinishService("w1"), at(9, 9))
    hall.handle(c.PauseWindow("w1", "午休"), at(9, 10))
    assert window_view(hall, w1).text == "暂停服务 午休"


def test_screens_show_their_zone_only() -> None:
    config = small_hall()
    hall = Hall(config)
    assert config.zones() == ["main"]
    hall.handle(c.OpenWindow("w1", "zhang.san"), at(9))
    for _ in range(3):
        hall.handle(c.IssueTicket("social"), at(9, 5))
    waiting, eta = zone_lines(hall, "main", at(9, 6))
    assert {q.service: q.waiting for q in waiting}["social"] == 3
    assert {x.service for x in eta} == {q.service for q in waiting}
    assert zone_lines(hall, "elsewhere", at(9, 6)) == ((), ())

    for i in range(RECENT_CALLS + 3):
        hall.handle(c.IssueTicket("social"), at(9, 9, i))
    for i in range(RECENT_CALLS + 3):
        hall.handle(c.CallNext("w1"), at(9, 10, 2 * i))
        if i < RECENT_CALLS + 2:
            hall.handle(c.FinishService("w1"), at(9, 10, 2 * i + 1))
    last = hall.window("w1").ticket
    assert last is not None
    number = hall.ticket(last).number
    hall.handle(c.Recall("w1"), at(9, 11))  # a recall goes to the top, not twice in the list
    calls = recent_by_zone(hall)["main"]
    assert len(calls) == RECENT_CALLS and calls[0].ticket == number
    assert [x.ticket for x in calls].count(number) == 1
    assert calls[0].window_name == "1号窗口" and calls[0].at == at(9, 11).isoformat()
    assert recent_by_zone(Hall(config)) == {}


def test_seq_always_grows() -> None:
    clock = SeqClock()
    seqs = [clock.next() for _ in range(1000)]
    assert all(b > a for a, b in itertools.pairwise(seqs))
